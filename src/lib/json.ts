/** Cloudflare's limit on instance params and event payloads. */
export const MAX_PAYLOAD_BYTES = 1024 * 1024;

/** The largest request body the API takes, and so the most params a batch may carry in all. */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;

/** Size of a value serialized as JSON, in UTF-8 bytes (undefined counts as nothing). */
export function jsonByteLength(value: unknown): number {
  const json = JSON.stringify(value);
  return json === undefined ? 0 : new TextEncoder().encode(json).byteLength;
}

/**
 * A JSON value: what outputs, params and payloads are once they have been through JSON. Declared
 * with interfaces, so that the Workers RPC types can check it without recursing forever.
 */
export type Json = string | number | boolean | null | JsonArray | JsonObject;
export interface JsonArray extends Array<Json> {}
export interface JsonObject {
  [key: string]: Json;
}

/** JSON text of a value, or null for none; what the journal stores and reports carry. */
export function jsonText(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  return JSON.stringify(value) ?? null;
}

/**
 * JSON text this project stored itself (in D1, a Durable Object, a page of a journal), read back
 * as the type it was written as: the one place such text is trusted without being checked.
 */
export function readStoredJson<T>(text: string): T;
export function readStoredJson<T>(text: string | null): T | null;
export function readStoredJson<T>(text: string | null): T | null {
  return text === null ? null : (JSON.parse(text) as T);
}

/** Stored JSON text as a JSON value; null for none. */
export function parseJson(text: string | null): Json {
  return readStoredJson<Json>(text);
}
