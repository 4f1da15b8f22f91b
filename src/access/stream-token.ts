import { base64url, fromBase64url } from "../lib/encoding";
import type { Principal } from "./principal";

/** How long a subscribe token may be used to open the stream (the stream may last longer). */
export const STREAM_TOKEN_TTL_MS = 5 * 60_000;

const PREFIX = "cps_";

type Claims = { w: string; i: string; exp: number };

/**
 * A subscribe token: a short-lived, read-only credential for one instance's event stream, for
 * clients that cannot send an Authorization header when they open a WebSocket (browsers). It is
 * the claims (workflow, instance, expiry) signed with a key derived from the admin token, so
 * nothing is stored and rotating the admin token revokes every one.
 */
export async function mintStreamToken(
  adminToken: string,
  stream: { workflow: string; instanceId: string },
  now = Date.now(),
): Promise<{ token: string; expires_on: string }> {
  const exp = now + STREAM_TOKEN_TTL_MS;
  const claims = base64url(new TextEncoder().encode(JSON.stringify({ w: stream.workflow, i: stream.instanceId, exp })));
  const signature = base64url(new Uint8Array(await crypto.subtle.sign("HMAC", await keyOf(adminToken), bytes(claims))));
  return { token: `${PREFIX}${claims}.${signature}`, expires_on: new Date(exp).toISOString() };
}

/** The principal a subscribe token stands for; undefined when it is not one, is forged or expired. */
export async function verifyStreamToken(
  adminToken: string,
  token: string,
  now = Date.now(),
): Promise<Principal | undefined> {
  if (!token.startsWith(PREFIX)) return undefined;
  const [claims, signature, ...rest] = token.slice(PREFIX.length).split(".");
  if (!claims || !signature || rest.length > 0) return undefined;
  try {
    const valid = await crypto.subtle.verify("HMAC", await keyOf(adminToken), fromBase64url(signature), bytes(claims));
    if (!valid) return undefined;
    const { w, i, exp } = JSON.parse(new TextDecoder().decode(fromBase64url(claims))) as Claims;
    if (typeof w !== "string" || typeof i !== "string" || typeof exp !== "number" || exp < now) return undefined;
    return {
      kind: "token",
      id: "subscribe",
      name: "subscribe token",
      permissions: ["read"],
      workflows: [w],
      eventTypes: null,
      stream: { workflow: w, instanceId: i },
    };
  } catch {
    return undefined;
  }
}

function bytes(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

function keyOf(adminToken: string): Promise<CryptoKey> {
  return crypto.subtle.importKey(
    "raw",
    bytes(`stream-token:v1:${adminToken}`),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign", "verify"],
  );
}
