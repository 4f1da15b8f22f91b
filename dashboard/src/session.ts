import type { Identity } from "./api";

/**
 * The signed-in token lives in sessionStorage: it survives a reload, ends with the tab, and
 * never appears in a URL.
 */
export type Session = { token: string; accountId: string; identity: Identity };

const KEY = "workflow-control-plane.session";

export function loadSession(): Session | null {
  const stored = sessionStorage.getItem(KEY);
  if (!stored) return null;
  try {
    return JSON.parse(stored) as Session;
  } catch {
    sessionStorage.removeItem(KEY);
    return null;
  }
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
