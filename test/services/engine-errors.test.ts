import { describe, it } from "vitest";
import { ApiError } from "../../src/lib/errors";
import { engineErrorKind, onInstance, toApiError } from "../../src/services/engine-errors";

const target = { workflowName: "order-approval", instanceId: "order-1" };

describe("engine errors", () => {
  // Texts the local engine (miniflare's workflows binding) and Cloudflare's keys throw.
  it.for([
    ["(instance.not_found) Instance does not exist", 10400, 404],
    ["instance.not_found", 10400, 404],
    ["Engine was never started", 10400, 404],
    ["instanceMetadata is undefined", 10400, 404],
    ["Aborting engine: User called delete", 10400, 404],
    ["Aborting engine: User called pause", 10409, 409],
    ["Aborting engine: User called terminate", 10409, 409],
    ["Aborting engine: User called restart", 10409, 409],
    ["Instance terminated during rollback", 10409, 409],
    ["(instance.cannot_terminate) Cannot terminate instance since its on a finite state", 10409, 409],
    ["(instance.already_exists) order-1", 10405, 400],
    ["WorkflowError: (instance.invalid_id) Instance ID is invalid", 10002, 400],
    ['(instance.cannot_restart) Step "nope" not found in execution history', 10002, 400],
    ["(body) Batch size exceeds maximum allowed", 10002, 400],
    ["Invalid Workflow subscription options", 10002, 400],
  ] as const)("answers %s with code %i (%i)", async ([message, code, status], { expect }) => {
    expect(engineErrorKind(new Error(message))).toBeDefined();
    expect(toApiError(new Error(message), target)).toMatchObject({ code, status });
    await expect(onInstance(target, () => Promise.reject(new Error(message)))).rejects.toMatchObject({ code });
  });

  it("lets API errors and unknown errors through as they are", async ({ expect }) => {
    const own = new ApiError("instanceStateConflict", "is complete");
    await expect(onInstance(target, () => Promise.reject(own))).rejects.toBe(own);
    const unknown = new Error("disk on fire");
    await expect(onInstance(target, () => Promise.reject(unknown))).rejects.toBe(unknown);
  });
});
