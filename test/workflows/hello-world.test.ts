import { introspectWorkflowInstance } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import { uniqueId } from "../helpers/api";

describe("HelloWorldWorkflow", () => {
  it("greets by name in one step", async ({ expect }) => {
    const id = uniqueId("hello");
    await using instance = await introspectWorkflowInstance(env.HELLO_WORLD, id);
    await env.HELLO_WORLD.create({ id, params: { name: "Linus" } });
    expect(await instance.waitForStepResult({ name: "compose greeting" })).toEqual({ greeting: "Hello, Linus!" });
    await instance.waitForStatus("complete");
    expect(await instance.getOutput()).toEqual({ greeting: "Hello, Linus!" });
  });

  it("greets the world when no name is given", async ({ expect }) => {
    const id = uniqueId("hello");
    await using instance = await introspectWorkflowInstance(env.HELLO_WORLD, id);
    await env.HELLO_WORLD.create({ id });
    await instance.waitForStatus("complete");
    expect(await instance.getOutput()).toEqual({ greeting: "Hello, world!" });
  });
});
