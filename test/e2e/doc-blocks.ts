/**
 * Reads the shell blocks of a Markdown page the way a reader pastes them, and builds one bash
 * script that runs them in order, so that a page can be proved by running it.
 *
 * Conventions (written where a reader sees them, in the Markdown source):
 * - a ```sh or ```bash block is run, unless the line before it is `<!-- readme-runner: skip … -->`;
 * - a ```json block that follows a run block with only blank lines between is that block's
 *   answer, abridged: the last JSON value the block prints must hold every field it shows.
 */

export type ShellBlock = {
  /** 1-based line of the opening fence, for messages. */
  line: number;
  code: string;
  skipped: boolean;
  /** The answer the page shows for the block's last JSON output, parsed. */
  answer?: unknown;
};

const SKIP = /^<!--\s*readme-runner:\s*skip\b.*-->$/;
const FENCE = /^(\s*)```(\S*)\s*$/;

export function shellBlocks(markdown: string): ShellBlock[] {
  const lines = markdown.split("\n");
  const blocks: ShellBlock[] = [];
  let previousContent = "";
  /** The run block a json block may still answer: reset by any other content. */
  let answerable: ShellBlock | undefined;
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] ?? "";
    const fence = FENCE.exec(line);
    if (!fence) {
      if (line.trim() !== "") {
        previousContent = line.trim();
        answerable = undefined;
      }
      continue;
    }
    const indent = fence[1]?.length ?? 0;
    const language = fence[2] ?? "";
    const body: string[] = [];
    let end = index + 1;
    while (end < lines.length && !/^\s*```\s*$/.test(lines[end] ?? "")) {
      body.push((lines[end] ?? "").slice(indent));
      end++;
    }
    const code = body.join("\n");
    if (language === "sh" || language === "bash") {
      const block: ShellBlock = { line: index + 1, code, skipped: SKIP.test(previousContent) };
      blocks.push(block);
      answerable = block.skipped ? undefined : block;
    } else if (language === "json" && answerable) {
      answerable.answer = JSON.parse(code);
      answerable = undefined;
    } else {
      answerable = undefined;
    }
    previousContent = "";
    index = end;
  }
  return blocks;
}

/** Where a block's output starts in the script's stdout. */
export const marker = (index: number) => `@@readme-runner block ${index}@@`;

/**
 * One script for a page's run blocks, in order, in one shell (so variables carry over), stopping
 * at the first command that fails. `origin` replaces the README's `http://127.0.0.1:8787`: the
 * only substitution, since the test's `npm run dev` listens on a free port instead.
 */
export function script(blocks: ShellBlock[], origin: string): string {
  const parts = ["set -e"];
  blocks.forEach((block, index) => {
    if (block.skipped) return;
    parts.push(`printf '\\n%s\\n' '${marker(index)}'`, block.code.replaceAll("http://127.0.0.1:8787", origin));
  });
  parts.push(`printf '\\n%s\\n' '${marker(blocks.length)}'`);
  return `${parts.join("\n")}\n`;
}

/** Each run block's stdout, by block index, from the script's stdout. */
export function outputs(stdout: string, count: number): Map<number, string> {
  const found = new Map<number, string>();
  for (let index = 0; index < count; index++) {
    const start = stdout.indexOf(marker(index));
    if (start === -1) continue;
    let end = stdout.length;
    for (let next = index + 1; next <= count; next++) {
      const at = stdout.indexOf(marker(next), start);
      if (at !== -1) {
        end = at;
        break;
      }
    }
    found.set(index, stdout.slice(start + marker(index).length, end));
  }
  return found;
}

/** The last complete JSON value of an output (curl prints its bodies back to back, with no newline). */
export function lastJson(output: string): unknown {
  const text = output.trimEnd();
  for (let at = text.indexOf("{"); at !== -1; at = text.indexOf("{", at + 1)) {
    try {
      return JSON.parse(text.slice(at));
    } catch {
      // Not a value that runs to the end: a later one may.
    }
  }
  return undefined;
}

/** The paths where `actual` lacks or differs from what `shown` has: objects and arrays by position, recursively. */
export function differences(actual: unknown, shown: unknown, path = "$"): string[] {
  if (shown === null || typeof shown !== "object") {
    return Object.is(actual, shown) ? [] : [`${path}: shown ${JSON.stringify(shown)}, got ${JSON.stringify(actual)}`];
  }
  if (actual === null || typeof actual !== "object" || Array.isArray(actual) !== Array.isArray(shown)) {
    return [`${path}: shown ${JSON.stringify(shown)}, got ${JSON.stringify(actual)}`];
  }
  const got = actual as Record<string, unknown>;
  return Object.entries(shown).flatMap(([key, value]) =>
    differences(got[key], value, Array.isArray(shown) ? `${path}[${key}]` : `${path}.${key}`),
  );
}

/**
 * The curl calls of a run block that would hide an HTTP error: every call must fail on one
 * (`-f`), unless the block's shown answer is the error (`"success": false`).
 */
export function curlsWithoutFail(block: ShellBlock): string[] {
  const showsError = (block.answer as { success?: unknown } | undefined)?.success === false;
  if (block.skipped || showsError) return [];
  return [...block.code.matchAll(/\bcurl\s+(?<flags>(?:-\S+\s+)*)/g)]
    .filter((match) => !/(^|\s)-[a-zA-Z]*f/.test(match.groups?.flags ?? ""))
    .map((match) => `line ${block.line}: ${match[0].trim()}`);
}
