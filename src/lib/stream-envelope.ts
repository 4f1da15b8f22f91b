import type { TypedResponse } from "hono";
import type { JSONParsed } from "hono/utils/types";

/**
 * A success envelope whose `result` ends in a long array, written a page at a time so the
 * whole array is never in memory: `result` is written first, then each page (JSON array text,
 * as a Durable Object hands it over) spliced into `result[arrayKey]`.
 */
export function streamEnvelope(
  result: Record<string, unknown>,
  arrayKey: string,
  pages: AsyncIterable<string>,
  waitUntil: (task: Promise<unknown>) => void,
): Response {
  const head = JSON.stringify({ success: true, errors: [], messages: [], result: { ...result, [arrayKey]: [] } });
  // `head` ends with `[]}}`: the array, then `result` and the envelope closing.
  const [opening, closing] = [head.slice(0, -3), head.slice(-3)];
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
  const writer = writable.getWriter();
  const encoder = new TextEncoder();
  const pump = async () => {
    try {
      await writer.write(encoder.encode(opening));
      let first = true;
      for await (const page of pages) {
        const items = page.slice(1, -1);
        if (items === "") continue;
        await writer.write(encoder.encode(first ? items : `,${items}`));
        first = false;
      }
      await writer.write(encoder.encode(closing));
      await writer.close();
    } catch (error) {
      await writer.abort(error);
    }
  };
  waitUntil(pump());
  return new Response(readable, { headers: { "Content-Type": "application/json" } });
}

/**
 * Types a streamed JSON response as the body it streams, so a typed route can return it: the
 * stream cannot carry Hono's JSON typing itself. `T` must be what the stream writes.
 */
export function streamedAs<T>(response: Response): Response & TypedResponse<JSONParsed<T>, 200, "json"> {
  return response as Response & TypedResponse<JSONParsed<T>, 200, "json">;
}
