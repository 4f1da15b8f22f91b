import { errorInfo } from "../../domain/errors";
import { WorkflowLifecycleMessage } from "../../schemas/event-subscriptions";
import { InstanceId } from "../../schemas/params";
import type { Deps } from "../deps";

export type ConsumedBatch = { kicked: number; ignored: number; retried: number };

/**
 * Consumes a batch of Event Subscriptions messages: each names an instance whose engine state
 * changed (queued, started, paused, …), and makes that instance's journal sync soon, which
 * also indexes an instance created behind the API's back. Several messages of one instance in a
 * batch make one sync. Messages of another source, or of a workflow this deployment does not
 * bind, are acknowledged and ignored; a journal that cannot be reached is retried by the Queue.
 */
export async function consumeLifecycleMessages(deps: Deps, batch: MessageBatch<unknown>): Promise<ConsumedBatch> {
  const result = { kicked: 0, ignored: 0, retried: 0 };
  const byInstance = new Map<string, { target: { workflowName: string; instanceId: string }; messages: Message[] }>();
  for (const message of batch.messages) {
    const parsed = WorkflowLifecycleMessage.safeParse(message.body);
    const target = parsed.success
      ? { workflowName: parsed.data.source.workflowName, instanceId: parsed.data.payload.instanceId }
      : undefined;
    if (!target || !deps.engines.bindingFor(target.workflowName) || !InstanceId.safeParse(target.instanceId).success) {
      message.ack();
      result.ignored++;
      continue;
    }
    const key = `${target.workflowName}/${target.instanceId}`;
    const entry = byInstance.get(key) ?? { target, messages: [] };
    entry.messages.push(message);
    byInstance.set(key, entry);
  }
  await Promise.all(
    [...byInstance.values()].map(async ({ target, messages }) => {
      try {
        await deps.journal(target.workflowName, target.instanceId).kick(target);
        for (const message of messages) message.ack();
        result.kicked++;
      } catch (error) {
        for (const message of messages) message.retry();
        result.retried += messages.length;
        console.warn(
          JSON.stringify({ level: "warn", message: "could not sync on a lifecycle message", error: errorInfo(error) }),
        );
      }
    }),
  );
  return result;
}
