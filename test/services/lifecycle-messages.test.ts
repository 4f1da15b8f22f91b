import {
  createExecutionContext,
  createMessageBatch,
  getQueueResult,
  introspectWorkflowInstance,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import worker from "../../src/index";
import { api, uniqueId } from "../helpers/api";
import { eventually } from "../helpers/eventually";

/** A message as Cloudflare's Event Subscriptions deliver one (docs: workflows/reference/event-subscriptions). */
function lifecycleMessage(workflowName: string, instanceId: string, event = "started") {
  return {
    type: `cf.workflows.workflow.instance.${event}`,
    source: { type: "workflows.workflow", workflowName },
    payload: { versionId: "v1", instanceId },
    metadata: {
      accountId: env.ACCOUNT_ID,
      eventSubscriptionId: "1830c4bb612e43c3af7f4cada31fbf3f",
      eventSchemaVersion: 1,
      eventTimestamp: new Date().toISOString(),
    },
  };
}

async function consume(bodies: unknown[]) {
  const batch = createMessageBatch(
    "workflow-events",
    bodies.map((body, index) => ({ id: `message-${index}`, timestamp: Date.now(), attempts: 1, body })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch, env, ctx);
  return getQueueResult(batch, ctx);
}

type Summary = { id: string; status: string; trigger_source: string };

describe("the Event Subscriptions consumer", () => {
  it("indexes an instance created behind the API's back, without anyone reading it by id", async ({ expect }) => {
    const id = uniqueId("subscribed");
    await using instance = await introspectWorkflowInstance(env.HELLO_WORLD, id);
    await env.HELLO_WORLD.create({ id, params: { name: "queue" } });
    await instance.waitForStatus("complete");

    const result = await consume([
      lifecycleMessage("hello-world", id, "queued"),
      lifecycleMessage("hello-world", id, "started"),
      lifecycleMessage("hello-world", id, "completed"),
    ]);
    expect(result.explicitAcks.sort()).toEqual(["message-0", "message-1", "message-2"]);
    expect(result.retryMessages).toEqual([]);

    const listed = await eventually(async () => {
      const response = await api<Summary[]>("GET", `/workflows/hello-world/instances?id_prefix=${id}`);
      if (response.body.result[0]?.status !== "complete") throw new Error("not indexed yet");
      return response.body.result;
    });
    expect(listed).toEqual([expect.objectContaining({ id, status: "complete", trigger_source: "unknown" })]);
  });

  it.for([
    ["a message of another product", { type: "cf.kv.namespace.created", source: { type: "kv" }, payload: {} }],
    ["a workflow this deployment does not bind", lifecycleMessage("somebody-elses-workflow", "i-1")],
    ["an instance id no API call could name", lifecycleMessage("hello-world", "not/valid")],
    ["a body that is not an object", "cf.workflows.workflow.instance.started"],
  ] as const)("acknowledges and ignores %s", async ([, body], { expect }) => {
    const result = await consume([body]);
    expect(result.explicitAcks).toEqual(["message-0"]);
    expect(result.retryMessages).toEqual([]);
  });
});
