/**
 * Reading what is new in an instance's event stream (`WorkflowInstance.subscribe()`), as one
 * pass: the retained events after a cursor, then whatever arrives until the stream ends or
 * falls quiet. Nothing stays subscribed between passes.
 */
import { markOf, type StreamPosition } from "../../domain/journal";

/** A chunk of a pass: events in eventId order, after a `rewritten` history restarted from 0. */
export type EventChunk = { rewritten: boolean; events: WorkflowInstanceEvent[] };

/**
 * How long a pass over a running instance waits for an event before taking the stream to be
 * quiet (the mirror is current): at least this, and four times the longest gap seen between
 * the events of the pass, so that a replay slowed by load is not taken for quiet.
 */
export const QUIET_MS = 50;

/** How long a pass that reads to the end (a finished instance's) waits for any one event. */
const END_MS = 30_000;

/** How long the event at the cursor, which is retained and so comes at once, may take to arrive. */
const CURSOR_EVENT_MS = 1_000;

/** Events applied per transaction. */
const CHUNK = 500;

/**
 * The events after `position`, a chunk at a time. The pass subscribes one event early and checks
 * that the event at the cursor is still the one the mirror applied: when the engine rewrote its
 * history (a restart forgets events and reuses their ids), the pass starts again from the first
 * event and its first chunk says `rewritten`. For an instance the mirror saw finish (`toEnd`),
 * whose history was not rewritten since, the stream ends by itself after the last event: the
 * pass reads until then, however slowly the events come (up to `END_MS` for one); otherwise it
 * stops once the stream is quiet.
 */
export async function* newEvents(
  handle: WorkflowInstance,
  position: StreamPosition,
  { toEnd = false }: { toEnd?: boolean } = {},
): AsyncGenerator<EventChunk> {
  let subscription = await handle.subscribe(position.cursor > 0 ? { cursor: position.cursor - 1 } : {});
  try {
    let rewritten = false;
    if (position.cursor > 0) {
      using cursorWatch = new QuietWatch(() => (toEnd ? END_MS : CURSOR_EVENT_MS));
      const atCursor = await cursorWatch.read(subscription.next());
      const same =
        atCursor !== QUIET &&
        !atCursor.done &&
        atCursor.value.eventId === position.cursor &&
        markOf(atCursor.value) === position.mark;
      if (!same) {
        subscription[Symbol.dispose]();
        subscription = await handle.subscribe();
        rewritten = true;
        toEnd = false;
      }
    }
    let events: WorkflowInstanceEvent[] = [];
    // A finished instance's stream ends by itself; a read that stalls even so ends the pass.
    using watch = new QuietWatch((longestGap) => (toEnd ? END_MS : Math.max(QUIET_MS, 4 * longestGap)));
    for (;;) {
      const next = await watch.read(subscription.next());
      if (next === QUIET || next.done) break;
      events.push(next.value);
      if (toEnd && REOPENED.test(next.value.type)) {
        // A restart appended to the history: the instance runs again, its stream will not end.
        toEnd = false;
        watch.rearm();
      }
      if (events.length === CHUNK) {
        yield { rewritten, events };
        rewritten = false;
        events = [];
        watch.touch();
      }
    }
    if (rewritten || events.length > 0) yield { rewritten, events };
  } finally {
    subscription[Symbol.dispose]();
  }
}

const QUIET = Symbol("quiet");

/** Events that mean an instance runs again after it ended, when a restart appends a new run. */
const REOPENED = /^workflow_(queued|running)$/;

/**
 * Reads a stream until it falls quiet: `read` answers QUIET once `limit(longest gap between
 * events so far)` ms went by since the last event with a read waiting (the time the pass spends between reads, handing a chunk on,
 * does not count). One timer serves the whole pass, re-armed only when it fires before the
 * limit: a timer per event would cost a tenth of the pass.
 */
class QuietWatch {
  readonly #limit: (longestGap: number) => number;
  readonly #quiet: Promise<typeof QUIET>;
  #resolve: (quiet: typeof QUIET) => void = () => undefined;
  #last = Date.now();
  #longestGap = 0;
  #reading = false;
  #timer = 0;

  constructor(limit: (longestGap: number) => number) {
    this.#limit = limit;
    this.#quiet = new Promise((resolve) => {
      this.#resolve = resolve;
    });
    this.#arm(limit(0));
  }

  /** The read's value, or QUIET; a read that loses is not cancelled, its rejection is silenced. */
  async read<T>(promise: Promise<T>): Promise<T | typeof QUIET> {
    this.#reading = true;
    try {
      const winner = await Promise.race([promise, this.#quiet]);
      if (winner === QUIET) promise.catch(() => undefined);
      else this.#longestGap = Math.max(this.#longestGap, this.touch());
      return winner;
    } finally {
      this.#reading = false;
    }
  }

  /** Starts the quiet period over (after a pause between reads); says how long the last one was. */
  touch(): number {
    const now = Date.now();
    const gap = now - this.#last;
    this.#last = now;
    return gap;
  }

  /** Checks again now, after the limit fell. */
  rearm(): void {
    clearTimeout(this.#timer);
    this.#arm(0);
  }

  #arm(ms: number): void {
    this.#timer = setTimeout(() => {
      const limit = this.#limit(this.#longestGap);
      const left = limit - (Date.now() - this.#last);
      if (left <= 0 && this.#reading) this.#resolve(QUIET);
      else this.#arm(left > 0 ? left : limit);
    }, ms);
  }

  [Symbol.dispose](): void {
    clearTimeout(this.#timer);
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
