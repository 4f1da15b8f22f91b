import { EngineFailure } from "../lib/errors";

/**
 * A Workflow binding whose every call that fails throws an `EngineFailure` (the engine's own
 * error as its cause, its text in the message), so what the engine refused is told apart from
 * this control plane's own failures wherever it surfaces, even across an RPC boundary.
 */
export function guardEngine<Params>(engine: Workflow<Params>): Workflow<Params> {
  const guarded: Pick<Workflow<Params>, "get" | "create" | "createBatch" | "deleteBatch"> = {
    get: async (id) => guardInstance(await failing("get", () => engine.get(id))),
    create: async (options) => guardInstance(await failing("create", () => engine.create(options))),
    createBatch: (async (batch: Parameters<Workflow<Params>["createBatch"]>[0]) => {
      const created = await failing("createBatch", () =>
        (engine.createBatch as (batch: unknown) => Promise<WorkflowInstance[] | WorkflowBatchCreateResult>)(batch),
      );
      return Array.isArray(created) ? created.map(guardInstance) : created;
    }) as Workflow<Params>["createBatch"],
    deleteBatch: (ids) => failing("deleteBatch", () => engine.deleteBatch(ids)),
  };
  return guarded as Workflow<Params>;
}

function guardInstance(instance: WorkflowInstance): WorkflowInstance {
  const guarded: WorkflowInstance = {
    id: instance.id,
    pause: () => failing("pause", () => instance.pause()),
    resume: () => failing("resume", () => instance.resume()),
    terminate: (options) => failing("terminate", () => instance.terminate(options)),
    restart: (options) => failing("restart", () => instance.restart(options)),
    delete: () => failing("delete", () => instance.delete()),
    status: () => failing("status", () => instance.status()),
    sendEvent: (event) => failing("sendEvent", () => instance.sendEvent(event)),
    subscribe: (options) => failing("subscribe", () => instance.subscribe(options)),
  };
  return guarded;
}

async function failing<T>(operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw new EngineFailure(operation, error);
  }
}
