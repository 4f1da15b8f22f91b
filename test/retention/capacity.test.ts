import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import { createDeps } from "../../src/services/deps";
import { capacityOf, forgetCapacity, refuseWhenFull } from "../../src/services/retention/capacity";
import { api } from "../helpers/api";

const deps = createDeps(env);

type Capacity = { d1_bytes: number; d1_limit_bytes: number; used: number; warning: string | null };

describe("capacity of the instance index", () => {
  it("is reported with each workflow, against D1's 10 GB", async ({ expect }) => {
    const { body } = await api<{ capacity: Capacity }>("GET", "/workflows/hello-world");
    expect(body.result.capacity).toMatchObject({ d1_limit_bytes: 10_000_000_000, warning: null });
    expect(body.result.capacity.d1_bytes).toBeGreaterThan(0);
    expect(body.result.capacity.used).toBeLessThan(0.01);
  });

  it("warns from 80% and refuses new instances from 95%", async ({ expect }) => {
    forgetCapacity();
    const { d1_bytes: bytes } = await capacityOf(deps.db);
    expect((await capacityOf(deps.db, bytes / 0.85)).warning).toMatch(/85% full; new instances are refused from 95%/);
    const full = await capacityOf(deps.db, bytes / 0.96);
    expect(full.warning).toMatch(/96% full: new instances are refused/);
    expect(() => refuseWhenFull({ ...full, used: 0.85 })).not.toThrow();
    expect(() => refuseWhenFull(full)).toThrow(expect.objectContaining({ code: 10800, status: 507 }));
  });
});
