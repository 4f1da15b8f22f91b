import { RpcTarget } from "cloudflare:workers";
import { callerErrorOf } from "../lib/errors";
import type { InstanceEventStream } from "../services/instances/event-stream";
import { ControlPlaneError } from "./errors";

/**
 * An instance's event stream over RPC, shaped as the binding's own subscription: `next()` gives
 * `{ done, value }` in eventId order and `{ done: true }` after the instance's end; dispose it
 * (`using`) when done. Failures carry the REST error's code, as every ControlPlane call's do.
 */
export class EventSubscription extends RpcTarget {
  readonly #stream: InstanceEventStream;

  constructor(stream: InstanceEventStream) {
    super();
    this.#stream = stream;
  }

  async next(): Promise<IteratorResult<WorkflowInstanceEvent, undefined>> {
    try {
      return await this.#stream.next();
    } catch (error) {
      const known = callerErrorOf(error);
      throw known ? ControlPlaneError.encode(known.code, known.message) : error;
    }
  }

  [Symbol.dispose](): void {
    this.#stream.close();
  }
}
