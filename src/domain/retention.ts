/**
 * The retention constants the index needs without the services that read settings from D1
 * (the segment's triggers are rendered from them by a Node script).
 */

/** The plan's retention of finished instances when nothing else sets one (Workers Paid, 2026). */
export const PLAN_RETENTION_MS = 7 * 86_400_000;
