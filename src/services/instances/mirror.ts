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
  const indexNow = options.indexNow === true;
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
      const start = await journal.begin(target, { fromStart });
      fromStart = false;
      // Each chunk goes to the journal while the next one is read; they arrive in order.
      let ingested: Promise<void> | undefined;
      try {
        for await (const chunk of newEvents(handle, start.position, { toEnd: start.finished })) {
          await ingested;
          ingested = journal.ingest(target, chunk.events, chunk.rewritten ? start.position : undefined);
          // Its failure is met at the next await; until then it must not count as unhandled.
          ingested.catch(() => undefined);
        }
      } catch (error) {
        // The next pass begins once the chunk in flight is in (or failed: the read's error wins).
        await ingested?.catch(() => undefined);
        throw error;
      }
      if (!ingested && (indexNow ? start.written : start.indexed)) return start.snapshot;
      await ingested;
      break;
    } catch (error) {
      if (!isEngineInterruption(error) || pass === PASSES) throw error;
    }
  }
  return journal.finish({ indexNow });
}
