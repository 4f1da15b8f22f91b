import { count, desc, eq } from "drizzle-orm";
import type { Principal } from "../access/principal";
import { apiTokens, type TokenPermission } from "../db/schema";
import { base64url, sha256Hex } from "../lib/encoding";
import { ApiError } from "../lib/errors";
import type { Deps } from "./deps";

const PREFIX = "cpt_";

/** A token as the API shows it: never its secret, except once, when it is created. */
export type TokenView = {
  id: string;
  name: string;
  status: "active" | "expired" | "revoked";
  permissions: TokenPermission[];
  workflows: string[] | null;
  event_types: string[] | null;
  created_on: string;
  expires_on: string | null;
  revoked_on: string | null;
};

export type TokenCreated = TokenView & { value: string };

export type TokenInput = {
  name: string;
  permissions: TokenPermission[];
  workflows?: string[] | undefined;
  event_types?: string[] | undefined;
  expires_on?: Date | undefined;
};

function toView(row: typeof apiTokens.$inferSelect, now = Date.now()): TokenView {
  return {
    id: row.id,
    name: row.name,
    status: row.revokedOn ? "revoked" : row.expiresOn && row.expiresOn.getTime() <= now ? "expired" : "active",
    permissions: row.permissions,
    workflows: row.workflows ?? null,
    event_types: row.eventTypes ?? null,
    created_on: row.createdOn.toISOString(),
    expires_on: row.expiresOn?.toISOString() ?? null,
    revoked_on: row.revokedOn?.toISOString() ?? null,
  };
}

/** Mints a token; its secret is in the result and nowhere else (only its hash is kept). */
export async function createToken({ db }: Deps, input: TokenInput): Promise<TokenCreated> {
  if (input.expires_on && input.expires_on.getTime() <= Date.now()) {
    throw new ApiError("invalidRequest", "body.expires_on: must be in the future");
  }
  const secret = new Uint8Array(32);
  crypto.getRandomValues(secret);
  const value = `${PREFIX}${base64url(secret)}`;
  const [row] = await db
    .insert(apiTokens)
    .values({
      id: crypto.randomUUID().replaceAll("-", ""),
      name: input.name,
      secretHash: await sha256Hex(value),
      permissions: [...new Set(input.permissions)],
      workflows: input.workflows ?? null,
      eventTypes: input.event_types ?? null,
      createdOn: new Date(),
      expiresOn: input.expires_on ?? null,
    })
    .returning();
  if (!row) throw new Error("token insert returned no row");
  return { ...toView(row), value };
}

export async function listTokens(
  { db }: Deps,
  { page, perPage }: { page: number; perPage: number },
): Promise<{ items: TokenView[]; total: number }> {
  const [rows, [total]] = await db.batch([
    db
      .select()
      .from(apiTokens)
      .orderBy(desc(apiTokens.createdOn))
      .limit(perPage)
      .offset((page - 1) * perPage),
    db.select({ value: count() }).from(apiTokens),
  ]);
  return { items: rows.map((row) => toView(row)), total: total?.value ?? 0 };
}

export async function getToken({ db }: Deps, id: string): Promise<TokenView> {
  const [row] = await db.select().from(apiTokens).where(eq(apiTokens.id, id));
  if (!row) throw new ApiError("tokenNotFound", `Token '${id}' not found`);
  return toView(row);
}

/** Revokes a token at once; revoking it again changes nothing. */
export async function revokeToken(deps: Deps, id: string): Promise<TokenView> {
  await deps.db.update(apiTokens).set({ revokedOn: new Date() }).where(eq(apiTokens.id, id));
  const token = await getToken(deps, id);
  return token;
}

/**
 * The principal a presented scoped token stands for, or the 401 explaining why it stands for
 * none. Looking tokens up by the hash of the whole token leaks nothing about other tokens.
 */
export async function authenticateToken({ db }: Pick<Deps, "db">, presented: string): Promise<Principal> {
  const [row] = presented.startsWith(PREFIX)
    ? await db
        .select()
        .from(apiTokens)
        .where(eq(apiTokens.secretHash, await sha256Hex(presented)))
    : [];
  if (!row) throw new ApiError("unauthenticated", "Invalid API token");
  const view = toView(row);
  if (view.status === "revoked") throw new ApiError("unauthenticated", "This API token has been revoked");
  if (view.status === "expired") throw new ApiError("unauthenticated", "This API token has expired");
  return {
    kind: "token",
    id: row.id,
    name: row.name,
    permissions: row.permissions,
    workflows: row.workflows ?? null,
    eventTypes: row.eventTypes ?? null,
  };
}
