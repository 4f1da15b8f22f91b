import type { TokenPermission } from "../db/schema";

/** Who is calling: the admin token, a scoped token, or a Worker over a service binding. */
export type Principal =
  | { kind: "admin"; id: "admin"; name: "admin" }
  | {
      kind: "token";
      id: string;
      name: string;
      permissions: TokenPermission[];
      workflows: string[] | null;
      eventTypes: string[] | null;
      /** A subscribe token: it may only open this instance's event stream. */
      stream?: { workflow: string; instanceId: string };
    }
  | { kind: "rpc"; id: string; name: string };

export const ADMIN: Principal = { kind: "admin", id: "admin", name: "admin" };

/** What a call needs: a level, and the workflow, instance and event type it touches, if any. */
export type Requirement = {
  permission: "any" | "read" | "edit" | "events" | "metrics" | "admin";
  workflow?: string | undefined;
  instanceId?: string | undefined;
  eventType?: string | undefined;
  /** Opening an instance's event stream, the one thing a subscribe token may do. */
  stream?: true;
};

/**
 * Why `principal` may not make a call needing `requirement`, or null if it may. The admin token
 * and service bindings may do anything; a scoped token needs the level (edit covers read and
 * events) and, when it is scoped, the workflow and event type.
 */
export function refusal(principal: Principal, requirement: Requirement): string | null {
  if (principal.kind !== "token") return null;
  const { permissions, workflows, eventTypes, stream } = principal;
  if (stream) {
    return requirement.stream &&
      requirement.workflow === stream.workflow &&
      requirement.instanceId === stream.instanceId
      ? null
      : `A subscribe token may only open the event stream of instance '${stream.instanceId}' of workflow '${stream.workflow}'`;
  }
  if (requirement.permission === "any") return null;
  const has = (permission: TokenPermission) => permissions.includes(permission);
  const level =
    requirement.permission === "admin"
      ? false
      : requirement.permission === "read"
        ? has("read") || has("edit")
        : requirement.permission === "events"
          ? has("events") || has("edit")
          : requirement.permission === "metrics"
            ? has("metrics") || has("read") || has("edit")
            : has("edit");
  if (!level) {
    const what =
      requirement.permission === "admin"
        ? "manage tokens or settings, or read the audit trail"
        : requirement.permission;
    const doing = { read: "read", edit: "make changes", events: "send events", metrics: "read metrics" } as const;
    return `Token '${principal.name}' may not ${what in doing ? doing[what as keyof typeof doing] : what}`;
  }
  if (requirement.workflow !== undefined && workflows !== null && !workflows.includes(requirement.workflow)) {
    return `Token '${principal.name}' may not act on workflow '${requirement.workflow}'`;
  }
  if (requirement.eventType !== undefined && eventTypes !== null && !eventTypes.includes(requirement.eventType)) {
    return `Token '${principal.name}' may not send events of type '${requirement.eventType}'`;
  }
  return null;
}

/** The workflows a principal may see in lists; null for all. */
export function visibleWorkflows(principal: Principal): string[] | null {
  return principal.kind === "token" ? principal.workflows : null;
}
