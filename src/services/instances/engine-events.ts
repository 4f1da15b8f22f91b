/**
 * Reading what is new in an instance's event stream (`WorkflowInstance.subscribe()`), as one
 * pass: the retained events after a cursor, then whatever arrives until the stream ends or
 * falls quiet. Nothing stays subscribed between passes.
 */
import { markOf, type StreamPosition } from "../../domain/journal";

/** A chunk of a pass: events in eventId order, after a `rewritten` history restarted from 0. */
export type EventChunk = { rewritten: boolean; events: WorkflowInstanceEvent[] };

/** How long a pass waits for an event before taking the stream to be quiet: the mirror is current. */
export const QUIET_MS = 25;

/** How long the event at the cursor, which is retained and so comes at once, may take to arrive. */
const CURSOR_EVENT_MS = 1_000;

/** Events applied per transaction. */
const CHUNK = 500;

/**
 * The events after `position`, a chunk at a time. The pass subscribes one event early and checks
 * that the event at the cursor is still the one the mirror applied: when the engine rewrote its
 * history (a restart forgets events and reuses their ids), the pass starts again from the first
 * event and its first chunk says `rewritten`.
 */
export async function* newEvents(handle: WorkflowInstance, position: StreamPosition): AsyncGenerator<EventChunk> {
  let subscription = await handle.subscribe(position.cursor > 0 ? { cursor: position.cursor - 1 } : {});
  try {
    let rewritten = false;
    if (position.cursor > 0) {
      const atCursor = await within(subscription.next(), CURSOR_EVENT_MS);
      const same =
        atCursor !== QUIET &&
        !atCursor.done &&
        atCursor.value.eventId === position.cursor &&
        markOf(atCursor.value) === position.mark;
      if (!same) {
        subscription[Symbol.dispose]();
        subscription = await handle.subscribe();
        rewritten = true;
      }
    }
    let events: WorkflowInstanceEvent[] = [];
    for (;;) {
      const next = await within(subscription.next(), QUIET_MS);
      if (next === QUIET || next.done) break;
      events.push(next.value);
      if (events.length === CHUNK) {
        yield { rewritten, events };
        rewritten = false;
        events = [];
      }
    }
    if (rewritten || events.length > 0) yield { rewritten, events };
  } finally {
    subscription[Symbol.dispose]();
  }
}

const QUIET = Symbol("quiet");

/**
 * The promise's value, or QUIET if it takes longer than `ms`. A read that loses the race is not
 * cancelled: the pass ends and disposes its subscription, and its rejection is silenced.
 */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | typeof QUIET> {
  const timer = { id: 0 };
  const quiet = new Promise<typeof QUIET>((resolve) => {
    timer.id = setTimeout(() => resolve(QUIET), ms);
  });
  try {
    const winner = await Promise.race([promise, quiet]);
    if (winner === QUIET) promise.catch(() => undefined);
    return winner;
  } finally {
    clearTimeout(timer.id);
  }
}

/**
 * Errors of a pass cut short by the engine itself: an instance terminated, restarted or deleted,
 * or a step that threw a NonRetryableError, aborts the engine's object and its subscriptions.
 * A new pass reads on from where the mirror stands.
 */
export function isEngineInterruption(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  return /Aborting engine|no longer running|outputGateBroken|Durable Object reset|Network connection lost/i.test(
    message,
  );
}
