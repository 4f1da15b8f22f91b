/** Cloudflare's limit on instance params and event payloads. */
export const MAX_PAYLOAD_BYTES = 1024 * 1024;

/** Size of a value serialized as JSON, in UTF-8 bytes (undefined counts as nothing). */
export function jsonByteLength(value: unknown): number {
  const json = JSON.stringify(value);
  return json === undefined ? 0 : new TextEncoder().encode(json).byteLength;
}
