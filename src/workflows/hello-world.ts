import { WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cloudflare:workers";

export type HelloWorldParams = { name: string };

export type HelloWorldOutput = { greeting: string };

/** The smallest useful workflow: one named, retried step whose result is the output. */
export class HelloWorldWorkflow extends WorkflowEntrypoint<Env, HelloWorldParams> {
  override async run(event: Readonly<WorkflowEvent<HelloWorldParams>>, step: WorkflowStep): Promise<HelloWorldOutput> {
    return step.do(
      "compose greeting",
      { retries: { limit: 2, delay: "1 second", backoff: "constant" }, timeout: "30 seconds" },
      async () => {
        const name = typeof event.payload?.name === "string" ? event.payload.name.trim() : "";
        return { greeting: `Hello, ${name || "world"}!` };
      },
    );
  }
}
