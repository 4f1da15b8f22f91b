import type { Db } from "../../db/client";
import { ApiError } from "../../lib/errors";

/** D1's size limit per database (Workers Paid). */
export const D1_LIMIT_BYTES = 10 * 1000 ** 3;

/** From this share of the limit on, reads warn. */
export const WARN_AT = 0.8;

/** From this share on, new instances are refused, so what is stored keeps room to finish. */
export const REFUSE_AT = 0.95;

/** How long one isolate trusts a size it read, so creates cost no extra query each. */
const CACHE_MS = 60_000;

export type Capacity = { d1_bytes: number; d1_limit_bytes: number; used: number; warning: string | null };

let cached: { at: number; bytes: number } | undefined;

/** How full the D1 index is, with a warning once it passes `WARN_AT` of D1's limit. */
export async function capacityOf(db: Db, limitBytes = D1_LIMIT_BYTES): Promise<Capacity> {
  const now = Date.now();
  if (!cached || now - cached.at > CACHE_MS) {
    const { meta } = await db.$client.prepare("SELECT 1").run();
    cached = { at: now, bytes: meta.size_after };
  }
  const used = cached.bytes / limitBytes;
  const percent = Math.round(used * 100);
  const warning =
    used >= REFUSE_AT
      ? `The instance index is ${percent}% full: new instances are refused. Shorten retention (PATCH …/workflows/settings) or delete workflows.`
      : used >= WARN_AT
        ? `The instance index is ${percent}% full; new instances are refused from ${REFUSE_AT * 100}%. Shorten retention or delete workflows.`
        : null;
  return { d1_bytes: cached.bytes, d1_limit_bytes: limitBytes, used, warning };
}

/** Refuses a create when the index is nearly full: D1 would refuse writes soon after. */
export function refuseWhenFull(capacity: Capacity): void {
  if (capacity.used >= REFUSE_AT)
    throw new ApiError("capacityExhausted", capacity.warning ?? "The instance index is full");
}

/** Forgets the size read, so the next check reads it again (tests). */
export function forgetCapacity(): void {
  cached = undefined;
}
