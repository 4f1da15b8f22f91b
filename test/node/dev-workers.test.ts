import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "vitest";
import { findConfigOf, missingWorkers } from "../../scripts/lib/dev-workers.ts";

describe("missingWorkers", () => {
  it("names a Worker bound by script name that no config given runs, with the -c to add", ({ expect }) => {
    expect(missingWorkers(["examples/team/wrangler.toml"])).toEqual([
      'Worker "shipping-worker" is not running here, but acme-control-plane\'s workflow ship-order needs it: ' +
        'add -c examples/shipping-worker/wrangler.toml (calls to it fail with "Worker not found" until then).',
    ]);
  });

  it("names the control plane a consumer's service binding needs", ({ expect }) => {
    expect(missingWorkers(["examples/consumer/wrangler.toml"])).toEqual([
      expect.stringMatching(/^Worker "workflow-control-plane" is not running here, [\s\S]*add -c wrangler\.toml/),
    ]);
  });

  it("is quiet when every bound Worker runs", ({ expect }) => {
    expect(missingWorkers(["examples/team/wrangler.toml", "examples/shipping-worker/wrangler.toml"])).toEqual([]);
    expect(missingWorkers(["wrangler.toml", "examples/shipping-worker/wrangler.toml"])).toEqual([]);
  });

  it("says what to add when no config near here names the Worker", ({ expect }) => {
    const folder = mkdtempSync(join(tmpdir(), "dev-workers-"));
    const config = join(folder, "wrangler.toml");
    writeFileSync(
      config,
      'name = "mine"\n[[workflows]]\nname = "w"\nbinding = "W"\nclass_name = "W"\nscript_name = "elsewhere"\n',
    );
    expect(findConfigOf("elsewhere")).toBeUndefined();
    expect(missingWorkers([config])).toEqual([
      expect.stringContaining("mine's workflow w needs it: add -c <path to elsewhere's wrangler.toml>"),
    ]);
  });
});
