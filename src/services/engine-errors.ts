import { ApiError, ENGINE_FAILURE, EngineFailure, instanceNotFound, errorText as textOf } from "../lib/errors";

/**
 * What a Workflow binding's error means. The binding throws plain Errors whose message carries
 * a key such as `(instance.not_found)`; production and the local engine word the rest differently.
 */
export type EngineErrorKind =
  | "notFound"
  | "alreadyExists"
  | "invalidId"
  | "cannotTerminate"
  | "cannotRestart"
  | "interrupted"
  | "invalidRequest";

/**
 * Every text the engine throws on a request path, by what it means (collected from the local
 * engine, miniflare's workflows binding, and Cloudflare's keys). An instance deleted while a
 * call was on its way reads "Engine was never started" or "Aborting engine: User called
 * delete"; one another call paused, terminated or restarted meanwhile reads "Aborting engine:
 * User called …".
 */
const PATTERNS: [EngineErrorKind, RegExp][] = [
  [
    "notFound",
    /instance\.not_found|instance does not exist|engine was never started|instanceMetadata is undefined|user called delete/i,
  ],
  ["interrupted", /aborting engine: user called (pause|terminate|restart)|instance terminated during rollback/i],
  ["alreadyExists", /instance\.already_exists|already exists/i],
  ["invalidId", /instance\.invalid_id|invalid id/i],
  ["cannotTerminate", /instance\.cannot_terminate|cannot terminate/i],
  ["cannotRestart", /instance\.cannot_restart|not found in execution history/i],
  ["invalidRequest", /^\(body\)|workflows\.api\.error\.body|invalid workflow subscription options/i],
];

/** Cloudflare's error keys (`workflows.api.error.<key>`, or `(<key>)` before a binding's message), by what they mean. */
const KEYS: Record<string, EngineErrorKind> = {
  "instance.not_found": "notFound",
  "instance.already_exists": "alreadyExists",
  "instance.invalid_id": "invalidId",
  "instance.cannot_terminate": "cannotTerminate",
  "instance.cannot_restart": "cannotRestart",
  body: "invalidRequest",
};

/**
 * What an engine error means: by the key Cloudflare gives it when there is one, else by the
 * wording the local engine and miniflare use; undefined when neither is known.
 */
export function engineErrorKind(error: unknown): EngineErrorKind | undefined {
  const text = engineText(error);
  const match = /workflows\.api\.error\.([a-z_.]+)|\(([a-z_.]+)\)|^(instance\.[a-z_]+)/.exec(text);
  const key = match?.[1] ?? match?.[2] ?? match?.[3];
  const keyed = key === undefined ? undefined : KEYS[key];
  return keyed ?? PATTERNS.find(([, pattern]) => pattern.test(text))?.[0];
}

/** The engine's own text: without the failure's operation, or the binding's `WorkflowError: ` prefix. */
function engineText(error: unknown): string {
  return textOf(error).replace(new RegExp(`^${ENGINE_FAILURE}[a-zA-Z]+: `), "");
}

/** The engine's wording without its `(key)` prefix or RPC decoration. */
function engineMessage(error: unknown): string {
  return engineText(error).replace(/^(WorkflowError: )?\([a-z_.]+\)\s*/i, "");
}

/**
 * Turns an error from the binding into the API error it stands for; an engine failure of no
 * known kind is a 502 (`engineFailed`, whose answer carries the request id and whose log the
 * engine's text); anything else is not the engine's and passes through.
 */
export function toApiError(error: unknown, context: { workflowName: string; instanceId: string }): unknown {
  switch (engineErrorKind(error)) {
    case "notFound":
      return instanceNotFound(context.workflowName, context.instanceId);
    case "alreadyExists":
      return new ApiError(
        "instanceAlreadyExists",
        `Instance '${context.instanceId}' of workflow '${context.workflowName}' already exists`,
        { cause: error },
      );
    case "invalidId":
      return new ApiError("invalidRequest", `Instance id '${context.instanceId}' is not valid`, { cause: error });
    case "cannotTerminate":
      return new ApiError(
        "instanceStateConflict",
        `Instance '${context.instanceId}' has already finished and cannot be terminated`,
        { cause: error },
      );
    case "cannotRestart":
      return new ApiError("invalidRequest", `body.from: ${engineMessage(error)}`, { cause: error });
    case "interrupted":
      return new ApiError(
        "instanceStateConflict",
        `Instance '${context.instanceId}' was changed by another call meanwhile: read it and try again`,
        { cause: error },
      );
    case "invalidRequest":
      return new ApiError("invalidRequest", engineMessage(error), { cause: error });
    case undefined:
      return EngineFailure.is(error)
        ? new ApiError(
            "engineFailed",
            `The Workflows engine failed on instance '${context.instanceId}' of workflow '${context.workflowName}' with an error this control plane does not recognise`,
            { cause: error },
          )
        : error;
  }
}

/**
 * Runs a call on one instance, its every engine read and action included, answering an engine
 * error with the API error it stands for, so no race with another call on the instance ends
 * as a 500.
 */
export async function onInstance<T>(
  context: { workflowName: string; instanceId: string },
  work: () => Promise<T>,
): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw error instanceof ApiError ? error : toApiError(error, context);
  }
}
