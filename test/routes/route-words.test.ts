import { introspectWorkflowInstance } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, it } from "vitest";
import { targetOf } from "../../src/access/requests";
import { ControlPlaneError } from "../../src/rpc/errors";
import { api, counts, errorOf } from "../helpers/api";

/**
 * Every literal segment right below `/instances/` in the OpenAPI document the Worker serves: a
 * route, which an instance of that id could never be read past. Read from the document, not
 * from the code's list, so a route added without reserving its word fails here.
 */
let routeWords: string[] = [];

beforeAll(async () => {
  const document = (await api<never>("GET", "https://control-plane.test/client/v4/openapi.json", { token: null }))
    .body as unknown as { paths: Record<string, unknown> };
  const words = Object.keys(document.paths).flatMap((path) => {
    const segment = /\/instances\/([^/{]+)/.exec(path)?.[1];
    return segment === undefined ? [] : [segment];
  });
  routeWords = [...new Set(words)].sort();
});

describe("instance ids that name a route below /instances", () => {
  it("are found in the OpenAPI document, counts among them", ({ expect }) => {
    expect(routeWords).toContain("counts");
    expect(routeWords).toContain("batch");
  });

  it("are refused by POST …/instances, and nothing is created", async ({ expect }) => {
    const before = await counts("hello-world");
    for (const word of routeWords) {
      const error = errorOf(await api("POST", "/workflows/hello-world/instances", { body: { instance_id: word } }));
      expect(error, word).toMatchObject({ status: 400, code: 10002 });
      expect(error.message, word).toContain("body.instance_id");
    }
    expect(await counts("hello-world")).toEqual(before);
  });

  it("are refused in a batch, in both its forms", async ({ expect }) => {
    const before = await counts("hello-world");
    const items = routeWords.map((word) => ({ instance_id: word }));
    const arrayForm = errorOf(await api("POST", "/workflows/hello-world/instances/batch", { body: items }));
    expect(arrayForm).toMatchObject({ status: 400, code: 10002 });
    const objectForm = errorOf(
      await api("POST", "/workflows/hello-world/instances/batch", { body: { instances: items } }),
    );
    expect(objectForm).toMatchObject({ status: 400, code: 10002 });
    expect(await counts("hello-world")).toEqual(before);
  });

  it("are refused over RPC", async ({ expect }) => {
    for (const word of routeWords) {
      const failure = await env.CONTROL_PLANE.createInstance("hello-world", { instance_id: word }).then(
        () => undefined,
        (error: unknown) => ControlPlaneError.from(error),
      );
      expect(failure, word).toMatchObject({ code: 10002 });
      expect(failure?.message, word).toContain("body.instance_id");
    }
  });

  it("stay reachable where an instance already has one: RPC, the list, batch delete", async ({ expect }) => {
    // As an instance made before `counts` was a route, or straight through the binding.
    await using instance = await introspectWorkflowInstance(env.HELLO_WORLD, "counts");
    await env.HELLO_WORLD.create({ id: "counts", params: { name: "early" } });
    await instance.waitForStatus("complete");
    expect(await env.CONTROL_PLANE.getInstance("hello-world", "counts")).toMatchObject({ status: "complete" });
    const listed = await api<{ id: string }[]>("GET", "/workflows/hello-world/instances?id_prefix=counts");
    expect(listed.body.result.map(({ id }) => id)).toEqual(["counts"]);
    const deleted = await api<{ deleted: { id: string }[] }>("POST", "/workflows/hello-world/instances/batch/delete", {
      body: { instances: ["counts"] },
    });
    expect(deleted.body.result.deleted).toEqual([{ id: "counts" }]);
    const after = await api<{ id: string }[]>("GET", "/workflows/hello-world/instances?id_prefix=counts");
    expect(after.body.result).toEqual([]);
  });

  it("are never taken for an instance id by the access rules", ({ expect }) => {
    for (const word of routeWords) {
      const target = targetOf("GET", `/client/v4/accounts/a/workflows/w/instances/${word}`);
      expect(target.instanceId, word).toBeUndefined();
    }
  });
});
