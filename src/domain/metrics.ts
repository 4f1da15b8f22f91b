/**
 * Durations and error messages as the metrics keep them: durations in a log-scale histogram
 * (bins a factor 1.1 wide, as migration 0012 computes them), error messages with the parts that
 * differ from one occurrence to the next masked, so that one kind of error is one group.
 */

/** Each bin's upper bound is 1.1 times the one before: bin = ceil(ln(ms) / ln(1.1)). */
export const BIN_GROWTH = 1.1;

/**
 * A quantile read from the histogram is within this relative error of a value of its bin: the
 * bin's middle, 2·γ^b / (γ + 1), is at most (γ − 1) / (γ + 1) from either end.
 */
export const QUANTILE_RELATIVE_ERROR = (BIN_GROWTH - 1) / (BIN_GROWTH + 1);

/** The bin of a duration, as the trigger computes it. */
export function binOf(ms: number): number {
  return Math.ceil(Math.log(Math.max(ms, 1)) / Math.log(BIN_GROWTH));
}

/** A sparse histogram: bin → count. */
export type Histogram = Map<number, number>;

/** Adds the histograms stored as JSON objects (`{ "<bin>": count }`) into `into`. */
export function mergeHistograms(into: Histogram, stored: readonly string[]): Histogram {
  for (const text of stored) {
    for (const [bin, count] of Object.entries(JSON.parse(text) as Record<string, number>)) {
      into.set(Number(bin), (into.get(Number(bin)) ?? 0) + count);
    }
  }
  return into;
}

/**
 * The `q`-quantile (0 < q ≤ 1) of the durations in the histogram, in milliseconds, rounded, as
 * the middle of the bin holding the value of rank ⌈q·n⌉; null when it is empty.
 */
export function quantile(histogram: Histogram, q: number): number | null {
  const total = [...histogram.values()].reduce((sum, count) => sum + count, 0);
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (const bin of [...histogram.keys()].sort((a, b) => a - b)) {
    seen += histogram.get(bin) ?? 0;
    if (seen >= rank) return Math.round((2 * BIN_GROWTH ** bin) / (BIN_GROWTH + 1));
  }
  return null;
}

const UUID = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi;
const HEX_ID = /\b(?:0x)?[0-9a-f]{12,}\b/gi;
/** A word of letters and digits (and `-`, `_`) with at least one digit: an order number, a key. */
const MIXED_ID = /\b(?=[\w-]*\d)[A-Za-z][\w-]*\d[\w-]*\b/g;
const NUMBER = /[-+]?\d+(?:\.\d+)?/g;

export const MAX_SHAPE_LENGTH = 256;

/**
 * An error message with ids (UUIDs, long hex strings, words mixing letters and digits) masked as
 * `<id>` and numbers as `<n>`: "order A-1042 failed after 3 tries" and "order B-7 failed after 5
 * tries" are one shape, "order <id> failed after <n> tries".
 */
export function errorShape(message: string): string {
  return message
    .slice(0, 4 * MAX_SHAPE_LENGTH)
    .replace(UUID, "<id>")
    .replace(HEX_ID, "<id>")
    .replace(MIXED_ID, "<id>")
    .replace(NUMBER, "<n>")
    .replace(/\s+/g, " ")
    .trim()
    .slice(0, MAX_SHAPE_LENGTH);
}
