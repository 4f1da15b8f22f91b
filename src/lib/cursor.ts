import { base64url, fromBase64url } from "./encoding";
import { ApiError } from "./errors";
import type { Json } from "./json";

/**
 * Cursors of every cursor-paged list: a position in the list as JSON, in base64url, opaque to
 * the caller. Decoding checks the position's shape, so only a cursor this API issued is taken.
 */
export function encodeCursor(position: Json): string {
  return base64url(new TextEncoder().encode(JSON.stringify(position)));
}

/** The position in `cursor`, if `read` recognises it; a 400 otherwise. */
export function decodeCursor<T>(cursor: string, read: (position: unknown) => T | undefined): T {
  let position: T | undefined;
  try {
    position = read(
      JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(fromBase64url(cursor))),
    );
  } catch {
    position = undefined;
  }
  if (position === undefined) throw new ApiError("invalidRequest", "query.cursor: not a cursor this API issued");
  return position;
}

/** Reads a cursor that holds a row's sequence number (a positive integer). */
export function sequenceOf(position: unknown): number | undefined {
  return typeof position === "number" && Number.isSafeInteger(position) && position > 0 ? position : undefined;
}
