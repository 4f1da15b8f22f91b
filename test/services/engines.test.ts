import { introspectWorkflowInstance } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import { createEngines } from "../../src/services/engines";
import { uniqueId } from "../helpers/api";

describe("createEngines", () => {
  const invoice = { name: "invoice", className: "InvoiceWorkflow", scriptName: "billing" };

  /** Which Workflow an engine reaches: the one where an instance it creates shows up. */
  async function reachesHelloWorld(engine: Workflow | undefined): Promise<boolean> {
    const id = uniqueId("reach");
    await using instance = await introspectWorkflowInstance(env.HELLO_WORLD, id);
    await engine?.create({ id, params: { name: "reach" } });
    const reached = await env.HELLO_WORLD.get(id).then(
      () => true,
      () => false,
    );
    if (reached) await instance.waitForStatus("complete");
    return reached;
  }

  it("reaches a workflow declared only in exports through ctx.exports", async ({ expect }) => {
    const engines = createEngines(env, { InvoiceWorkflow: env.HELLO_WORLD }, [
      { ...invoice, exportName: "InvoiceWorkflow" },
    ]);
    expect(await reachesHelloWorld(engines.bindingFor("invoice")?.engine)).toBe(true);
  });

  it("reaches a workflow with both a binding and an export through its binding", async ({ expect }) => {
    const engines = createEngines(env, { InvoiceWorkflow: env.ORDER_APPROVAL }, [
      { ...invoice, binding: "HELLO_WORLD", exportName: "InvoiceWorkflow" },
    ]);
    expect(await reachesHelloWorld(engines.bindingFor("invoice")?.engine)).toBe(true);
  });

  it("leaves a workflow unbound when neither its binding nor its export is there", ({ expect }) => {
    const engines = createEngines(env, {}, [{ ...invoice, binding: "NO_SUCH_BINDING", exportName: "InvoiceWorkflow" }]);
    expect(engines.bindingFor("invoice")).toBeUndefined();
    expect(engines.deployed.map((workflow) => workflow.name)).toContain("invoice");
  });
});
