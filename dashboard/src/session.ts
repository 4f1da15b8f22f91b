import type { Identity } from "./api";

/**
 * The signed-in token lives in sessionStorage: it survives a reload, ends with the tab, and
 * never appears in a URL.
 */
export type Session = { token: string; accountId: string; identity: Identity };

const KEY = "workflow-control-plane.session";

/** The stored session, or null when there is none or it is not one this dashboard wrote. */
export function loadSession(): Session | null {
  const stored = sessionStorage.getItem(KEY);
  if (!stored) return null;
  const session = parse(stored);
  if (!isSession(session)) {
    sessionStorage.removeItem(KEY);
    return null;
  }
  return session;
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function isSession(value: unknown): value is Session {
  if (typeof value !== "object" || value === null) return false;
  const { token, accountId, identity } = value as Record<string, unknown>;
  if (typeof token !== "string" || typeof accountId !== "string") return false;
  if (typeof identity !== "object" || identity === null) return false;
  const { name, permissions, workflows } = identity as Record<string, unknown>;
  return typeof name === "string" && Array.isArray(permissions) && (workflows === null || Array.isArray(workflows));
}

export function saveSession(session: Session): void {
  sessionStorage.setItem(KEY, JSON.stringify(session));
}

export function clearSession(): void {
  sessionStorage.removeItem(KEY);
}

/** What the signed-in token may do, so that the dashboard offers only that. */
export function abilities({ identity }: Session, workflow?: string) {
  const covers = workflow === undefined || identity.workflows === null || identity.workflows.includes(workflow);
  const has = (permission: "edit" | "events") => covers && identity.permissions.includes(permission);
  return { edit: has("edit"), events: has("edit") || has("events") };
}
