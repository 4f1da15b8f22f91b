/** A time (a Date or epoch milliseconds) as ISO text; null stays null. */
export function toIso(at: Date | number): string;
export function toIso(at: Date | number | null): string | null;
export function toIso(at: Date | number | null): string | null {
  return at === null ? null : new Date(at).toISOString();
}

/** A duration as Cloudflare writes one: "30 days", "1 hour". */
export const DURATION_PATTERN = /^(\d+)\s+(second|minute|hour|day|week|month|year)s?$/;

const UNIT_MS = {
  second: 1_000,
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
  week: 604_800_000,
  month: 2_592_000_000,
  year: 31_536_000_000,
} as const;

/** `"5 minutes"` or a number of milliseconds, as Cloudflare accepts durations. */
export type Duration = number | string;

/** The binding's wider form, which also takes fractions ("1.5 hours"). */
const BINDING_DURATION = /^(\d+(?:\.\d+)?)\s+(second|minute|hour|day|week|month|year)s?$/;

/** Milliseconds of a duration; months count 30 days and years 365, as the engine does. */
export function durationToMs(duration: Duration): number {
  if (typeof duration === "number") return duration;
  const match = BINDING_DURATION.exec(duration);
  if (!match?.[1] || !match[2]) throw new RangeError(`Not a duration: ${duration}`);
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}

/** Retention with both durations in milliseconds, as responses report it. */
export function retentionInMs(retention: {
  error_retention?: Duration | undefined;
  success_retention?: Duration | undefined;
}) {
  return {
    ...(retention.error_retention === undefined ? {} : { error_retention: durationToMs(retention.error_retention) }),
    ...(retention.success_retention === undefined
      ? {}
      : { success_retention: durationToMs(retention.success_retention) }),
  };
}
