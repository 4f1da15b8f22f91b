import type { JournalSnapshot, MirrorTarget, SyncOptions } from "../../domain/journal";
import type { Deps } from "../deps";
import { engineErrorKind } from "../engine-errors";
import { isEngineInterruption, newEvents } from "./engine-events";

/** Passes of one sync that the engine may cut short (terminate, restart) before it gives up. */
const PASSES = 3;

/**
 * Brings an instance's journal up to date with the engine's event stream, and the index with
 * the journal; undefined when the engine does not know the instance. The engine is read here,
 * in the calling Worker invocation, and never inside the journal: a read that waits for the
 * stream to fall quiet leaves a call behind that never settles, which only the end of a
 * stateless invocation clears (a Durable Object would stay busy with it). Durable Objects that
 * need a sync ask the `MirrorSync` entrypoint for one.
 */
export async function syncInstance(
  deps: Deps,
  target: MirrorTarget,
  options: SyncOptions = {},
): Promise<JournalSnapshot | undefined> {
  const bound = deps.engines.bindingFor(target.workflowName);
  if (!bound) throw new Error(`workflow '${target.workflowName}' has no Workflow binding in this deployment`);
  const journal = deps.journal(target.workflowName, target.instanceId);
  let fromStart = options.fromStart === true;
  for (let pass = 1; ; pass++) {
    let handle: WorkflowInstance;
    try {
      handle = await bound.engine.get(target.instanceId);
    } catch (error) {
      if (engineErrorKind(error) === "notFound") return undefined;
      throw error;
    }
    try {
      const position = await journal.position(target, { fromStart });
      fromStart = false;
      for await (const chunk of newEvents(handle, position)) {
        await journal.ingest(target, chunk.events, chunk.rewritten ? position : undefined);
      }
      break;
    } catch (error) {
      if (!isEngineInterruption(error) || pass === PASSES) throw error;
    }
  }
  return journal.finish({ indexNow: options.indexNow === true });
}
