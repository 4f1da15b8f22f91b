import { isTerminalEvent } from "../../domain/engine-events";
import { markOf } from "../../domain/journal";
import { ApiError } from "../../lib/errors";
import type { Deps } from "../deps";
import { isEngineInterruption } from "./engine-events";
import { findHandle } from "./handles";

/** Times the stream reopens the engine's subscription after the engine cut it short, in a row. */
const REOPENS = 3;

export type EventStreamOptions = { cursor?: number | undefined; filter?: readonly string[] | undefined };

/**
 * One instance's event stream as the API serves it (REST WebSocket, RPC): the engine's, with
 * Cloudflare's semantics, every retained event after `cursor` and then live ones, only the
 * types in `filter`, and the end after the instance's terminal event whatever the filter. The
 * engine's own subscription breaks off where the instance is terminated or a step throws a
 * NonRetryableError (it aborts the engine's object); the stream reopens it after the last event
 * it read and checks that this event is still there. When it is not (a restart rewrote the
 * history and reused its ids), the stream fails with `eventStreamRestarted`: the caller
 * subscribes again without a cursor.
 */
export class InstanceEventStream {
  readonly #open: () => Promise<WorkflowInstance>;
  readonly #filter: ReadonlySet<string> | undefined;
  #subscription: WorkflowInstanceSubscription | undefined;
  /** The last event read (whatever the filter): where a reopened subscription carries on. */
  #last: { eventId: number; mark: string } | undefined;
  #cursor: number | undefined;
  #ended = false;

  constructor(open: () => Promise<WorkflowInstance>, { cursor, filter }: EventStreamOptions = {}) {
    this.#open = open;
    this.#cursor = cursor;
    this.#filter = filter && filter.length > 0 ? new Set(filter) : undefined;
  }

  async next(): Promise<IteratorResult<WorkflowInstanceEvent, undefined>> {
    for (let reopened = 0; !this.#ended; ) {
      try {
        const event = await this.#read();
        if (!event) break;
        if (isTerminalEvent(event)) this.#ended = true;
        if (!this.#filter || this.#filter.has(event.type)) return { done: false, value: event };
      } catch (error) {
        this.#dispose();
        if (!isEngineInterruption(error) || ++reopened > REOPENS) throw error;
      }
    }
    this.close();
    return { done: true, value: undefined };
  }

  close(): void {
    this.#ended = true;
    this.#dispose();
  }

  /** The next event of the instance, undefined once its stream ended. */
  async #read(): Promise<WorkflowInstanceEvent | undefined> {
    if (!this.#subscription) {
      const handle = await this.#open();
      if (this.#last) {
        // Carry on after the last event read, checking it is still the same event.
        this.#subscription = await handle.subscribe({ cursor: this.#last.eventId - 1 });
        const again = await this.#subscription.next();
        if (again.done || again.value.eventId !== this.#last.eventId || markOf(again.value) !== this.#last.mark) {
          throw new ApiError(
            "eventStreamRestarted",
            "The instance was restarted and its event history starts over: subscribe again without a cursor",
          );
        }
      } else {
        this.#subscription = await handle.subscribe(this.#cursor === undefined ? {} : { cursor: this.#cursor });
      }
    }
    const next = await this.#subscription.next();
    if (next.done) return undefined;
    this.#last = { eventId: next.value.eventId, mark: markOf(next.value) };
    return next.value;
  }

  #dispose(): void {
    this.#subscription?.[Symbol.dispose]();
    this.#subscription = undefined;
  }
}

/** Opens an instance's event stream; 404 when the workflow or the instance does not exist. */
export async function openEventStream(
  deps: Deps,
  workflowName: string,
  id: string,
  options: EventStreamOptions,
): Promise<InstanceEventStream> {
  let handle: WorkflowInstance | undefined = await findHandle(deps, workflowName, id);
  // The first subscription uses the handle just checked; a reopened one asks the engine again.
  return new InstanceEventStream(async () => {
    const current = handle ?? (await findHandle(deps, workflowName, id));
    handle = undefined;
    return current;
  }, options);
}

/**
 * Sends a stream's events over a WebSocket, one JSON text message each, until the instance's
 * stream ends (closed with 1000), the client closes, or it fails: 4409 when the instance was
 * restarted (reconnect without a cursor), 1011 on another error.
 */
export async function pumpEvents(socket: WebSocket, stream: InstanceEventStream): Promise<void> {
  const closed = new Promise<"closed">((resolve) => socket.addEventListener("close", () => resolve("closed")));
  try {
    for (;;) {
      const next = await Promise.race([stream.next(), closed]);
      if (next === "closed") return;
      if (next.done) {
        socket.close(1000, "the instance's stream ended");
        return;
      }
      socket.send(JSON.stringify(next.value));
    }
  } catch (error) {
    const restarted = error instanceof ApiError && error.kind === "eventStreamRestarted";
    socket.close(
      restarted ? 4409 : 1011,
      restarted ? "instance restarted: subscribe again without a cursor" : "engine error",
    );
  } finally {
    stream.close();
  }
}
