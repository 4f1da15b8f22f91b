/**
 * Durations and error messages as the metrics keep them: durations in a log-scale histogram
 * (bins a factor 1.1 wide, as migration 0012 computes them), error messages with the parts that
 * differ from one occurrence to the next masked, so that one kind of error is one group.
 */

/** Each bin's upper bound is 1.1 times the one before: bin = ceil(ln(ms) / ln(1.1)). */
export const BIN_GROWTH = 1.1;

/** The sizes of the buckets the triggers keep, in milliseconds: minutes (`m`) and hours (`h`). */
export const METRIC_BUCKET_MS = { m: 60_000, h: 3_600_000 } as const;

/** How long the maintained buckets are kept: minutes for two days, hours (and so days) for 400. */
export const MINUTE_RETENTION_MS = 2 * 86_400_000;
export const HOUR_RETENTION_MS = 400 * 86_400_000;

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

/**
 * Adds histograms into `into`, from a JSON array of stored histograms (`[{ "<bin>": count }, …]`,
 * as SQL concatenates them); null adds nothing.
 */
export function mergeHistograms(into: Histogram, stored: string | null): Histogram {
  if (stored === null) return into;
  for (const histogram of JSON.parse(stored) as Record<string, number>[]) {
    for (const bin in histogram) {
      const key = Number(bin);
      into.set(key, (into.get(key) ?? 0) + (histogram[bin] ?? 0));
    }
  }
  return into;
}

/** The middle of a bin, in milliseconds, rounded: what a quantile in it is read as. */
export function valueOfBin(bin: number): number {
  return Math.round((2 * BIN_GROWTH ** bin) / (BIN_GROWTH + 1));
}

/**
 * The quantiles `qs` (ascending, each 0 < q ≤ 1) of the durations in the histogram, in
 * milliseconds: each the middle of the bin holding the value of rank ⌈q·n⌉; null when empty.
 * One sort of the bins serves them all.
 */
export function quantiles(histogram: Histogram, qs: readonly number[]): (number | null)[] {
  let total = 0;
  for (const count of histogram.values()) total += count;
  if (total === 0) return qs.map(() => null);
  const bins = [...histogram.keys()].sort((a, b) => a - b);
  const found: (number | null)[] = [];
  let seen = 0;
  let next = 0;
  for (const bin of bins) {
    seen += histogram.get(bin) ?? 0;
    while (next < qs.length && seen >= Math.max(1, Math.ceil((qs[next] ?? 1) * total))) {
      found.push(valueOfBin(bin));
      next++;
    }
  }
  while (found.length < qs.length) found.push(null);
  return found;
}

/** A step's name as the metrics group it: without the counter suffix the log adds (`charge-2`). */
export function stepName(logName: string): string {
  return logName.replace(/-\d+$/, "");
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
