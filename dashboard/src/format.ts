const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });

export function formatTime(iso: string | null | undefined): string {
  return iso ? dateTime.format(new Date(iso)) : "—";
}

/** "1.2 s", "3 min 4 s", "2 h 5 min", "3 d 4 h". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${Math.floor(seconds % 60)} s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });

/** "5 minutes ago", for times near now. */
export function formatAgo(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return "never";
  const seconds = Math.round((new Date(iso).getTime() - now) / 1000);
  const units: [Intl.RelativeTimeFormatUnit, number][] = [
    ["day", 86_400],
    ["hour", 3600],
    ["minute", 60],
  ];
  for (const [unit, size] of units)
    if (Math.abs(seconds) >= size) return relative.format(Math.round(seconds / size), unit);
  return relative.format(seconds, "second");
}

export function shortId(id: string): string {
  return id.length > 13 ? `${id.slice(0, 8)}…` : id;
}

export function json(value: unknown): string {
  return value === undefined ? "—" : JSON.stringify(value, null, 2);
}

/**
 * A datetime-local input's value (to the minute) as an ISO time, or undefined when empty. As
 * the end of a range it is the minute's last millisecond, so "until 10:05" includes 10:05:30.
 */
export function localToIso(value: string, edge: "start" | "end" = "start"): string | undefined {
  if (!value) return undefined;
  const time = new Date(value).getTime() + (edge === "end" ? 59_999 : 0);
  return new Date(time).toISOString();
}

/** An ISO time as a datetime-local input's value. */
export function isoToLocal(iso: string | null): string {
  if (!iso) return "";
  const date = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** A share as a percentage: "0%", "16.7%", "100%"; a share too small to show as 0.1% is "<0.1%". */
export function formatPercent(share: number): string {
  if (share > 0 && share < 0.001) return "<0.1%";
  return `${Number((share * 100).toFixed(1))}%`;
}
