import { isInstanceRouteWord } from "../schemas/paths";
import type { Requirement } from "./principal";

/** What a REST call is about, read from its method and path (below /client/v4). */
export type RequestTarget = Requirement;

const ACCOUNT = "/accounts/[^/]+";

/** What any valid token may call: verifying itself, and learning which account it is served. */
const OPEN_TO_ANY_TOKEN = [/^\/user\/tokens\/verify$/, new RegExp(`^${ACCOUNT}/tokens/verify$`), /^\/accounts$/];

/** Paths reserved to the admin token. */
const ADMIN_ONLY = new RegExp(`^${ACCOUNT}/(tokens|audit)(/|$)`);

/**
 * The account's settings. Only GET and PATCH: PUT and DELETE of that path still address a
 * workflow named "settings", as on Cloudflare, where literal segments match first.
 */
const SETTINGS_PATH = new RegExp(`^${ACCOUNT}/workflows/settings$`);

/** A workflow, and an instance of it, named by the path. */
const WORKFLOW_PATH = new RegExp(`^${ACCOUNT}/workflows/([^/]+)(?:/instances/([^/]+))?`);

const EVENT_PATH = new RegExp(`^${ACCOUNT}/workflows/[^/]+/instances/[^/]+/events/([^/]+)$`);

const STREAM_PATH = new RegExp(`^${ACCOUNT}/workflows/[^/]+/instances/[^/]+/subscribe$`);

/** The metrics: the account's (OpenMetrics, overview) and each workflow's. */
const METRICS_PATH = new RegExp(`^${ACCOUNT}(?:/workflows/[^/]+)?/metrics(?:/[^/]+)?$`);

function segment(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/**
 * The permission every route needs, decided in one place from the method and path, so that no
 * route can be added without one: token administration, the audit trail and changing the
 * account's settings need the admin token, sending an event needs `events`, reading metrics
 * `metrics` (which `read` also gives), any other write `edit`, any read `read`.
 */
export function targetOf(method: string, path: string): RequestTarget {
  const relative = path.replace(/^\/client\/v4/, "").replace(/\/+$/, "");
  if (OPEN_TO_ANY_TOKEN.some((pattern) => pattern.test(relative))) {
    return { permission: "any" };
  }
  if (ADMIN_ONLY.test(relative)) return { permission: "admin" };
  const read = method === "GET" || method === "HEAD";
  // Settings decide how long everything is kept: reading them is a read, changing them the admin's.
  if (SETTINGS_PATH.test(relative) && (read || method === "PATCH")) return { permission: read ? "read" : "admin" };
  const workflowPath = WORKFLOW_PATH.exec(relative);
  const workflow = segment(workflowPath?.[1]);
  const instanceSegment = segment(workflowPath?.[2]);
  const instanceId = instanceSegment && !isInstanceRouteWord(instanceSegment) ? instanceSegment : undefined;
  const event = EVENT_PATH.exec(relative);
  if (method === "POST" && event) return { permission: "events", workflow, instanceId, eventType: segment(event[1]) };
  if (read && STREAM_PATH.test(relative)) return { permission: "read", workflow, instanceId, stream: true };
  if (read && METRICS_PATH.test(relative)) return { permission: "metrics", workflow };
  return { permission: read ? "read" : "edit", workflow, instanceId };
}
