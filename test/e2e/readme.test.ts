/**
 * The README-runner: pastes every shell block of the README and of the pages whose commands it
 * leads to into one bash session per page, against the `npm run dev` of the e2e suite, as a
 * reader would. It fails when a command exits non-zero (every curl that expects success has
 * `-f`), or when an answer the page shows is not what came back.
 *
 * The only substitution: the pages say `http://127.0.0.1:8787` (what `npm run dev` prints), and
 * the suite's server listens on a free port, so that origin is replaced by the server's. The
 * token comes from `.dev.vars`, as the pages read it, since the suite's server writes the same
 * file. Blocks marked `<!-- readme-runner: skip … -->` (installs, servers, deploys) are not run.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, inject, it } from "vitest";
import { curlsWithoutFail, differences, lastJson, outputs, script, shellBlocks } from "./doc-blocks.ts";

const { baseUrl } = inject("controlPlane");
const origin = new URL(baseUrl).origin;

/** In the order a reader follows them: each page sets its own variables first. */
const PAGES = ["README.md", "docs/api.md", "docs/operations.md", "docs/workflows.md"];

function run(path: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const file = join(mkdtempSync(join(tmpdir(), "readme-runner-")), "page.sh");
  writeFileSync(file, script(shellBlocks(readFileSync(path, "utf8")), origin));
  return new Promise((resolve, reject) => {
    const child = spawn("bash", [file], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe.each(PAGES)("%s, pasted block by block", (path) => {
  const blocks = shellBlocks(readFileSync(path, "utf8"));

  it("lets no curl that expects success hide an HTTP error", () => {
    expect(blocks.filter((block) => !block.skipped).length).toBeGreaterThan(0);
    expect(blocks.flatMap(curlsWithoutFail)).toEqual([]);
  });

  it("runs every block, with the answers it shows", { timeout: 300_000 }, async () => {
    const { code, stdout, stderr } = await run(path);
    const output = outputs(stdout, blocks.length);
    const reached = Math.max(...output.keys());
    const failed = blocks[reached];
    expect(
      code,
      `${path} stopped in the block at line ${failed?.line}:\n${output.get(reached)?.slice(-2000)}\n${stderr.slice(-2000)}`,
    ).toBe(0);
    const wrong = blocks.flatMap((block, index) => {
      if (block.skipped || block.answer === undefined) return [];
      const answer = lastJson(output.get(index) ?? "");
      return differences(answer, block.answer).map((difference) => `line ${block.line}: ${difference}`);
    });
    expect(wrong).toEqual([]);
  });
});
