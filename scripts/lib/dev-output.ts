/**
 * What `npm run dev` shows of wrangler's output. Every line goes to a log file; the terminal gets
 * all of them but the few below, each known to say nothing wrong about this project, a binding
 * table only when it differs from the one last shown for that Worker (wrangler prints them again
 * whenever the dev registry changes), and one blank line for a run of them.
 */

const ESCAPE = String.fromCharCode(27);
const ANSI = new RegExp(`${ESCAPE}\\[[0-9;]*m`, "g");

export const stripAnsi = (text: string): string => text.replace(ANSI, "");

/**
 * Lines kept out of the terminal, each with the blank or indented lines that follow it (the rest
 * of a wrangler warning or error: its details, its stack).
 */
export function hiddenBlocks(localEngineFlags: readonly string[]): RegExp[] {
  return [
    // wrangler dev compares the Env of every `-c` config with ./worker-configuration.d.ts, which
    // holds the control plane's: the shipping-worker's Env never matches it, so this prints on
    // every start. The control plane's own types are checked by `wrangler types --check` in
    // `npm run typecheck` (part of `npm test`), which says when they are really out of date.
    /^❓ Your types might be out of date\. Re-run `wrangler types` to ensure your types are correct\.$/,
    // The local engine runs at compatibility date 2024-10-22 with only the Worker's explicit
    // flags, so dev lists these (scripts/lib/local-engine.ts); workerd, judging by the Worker's
    // own date, calls them needless.
    new RegExp(
      `^▲ \\[WARNING\\] service core:user:[^:]+: The compatibility flag (?:${localEngineFlags.join("|")}) became the default as of \\S+ so does not need to be specified anymore\\.$`,
    ),
    // The local engine ends the run of a paused, terminated, restarted or deleted instance by
    // rejecting the step it waits in; the rejection leaves the workflow's run(), an RPC call from
    // the engine, and workerd reports every exception leaving an RPC call to wrangler's inspector
    // as "Uncaught". The API answered, and the instance is in the state asked for.
    /^✘ \[ERROR\] Uncaught (?:\(in promise\) )?(?:Error: )?Aborting engine: User called (?:pause|terminate|restart|delete)$/,
    // A step that throws NonRetryableError fails its instance, as designed (the error is the
    // instance's, shown by the API and the dashboard); workerd reports the throw as above, twice:
    // leaving the step's callback and leaving run().
    /^✘ \[ERROR\] Uncaught (?:\(in promise\) )?(?:Error: )?NonRetryableError: /,
    // The cron is a watchdog that restarts the sweeper if it ever stopped; locally, as deployed,
    // the sweeper runs from its own alarm.
    /^▲ \[WARNING\] Scheduled Workers are not automatically triggered during local development\.$/,
    // wrangler's note on what [connected] in the binding table means, printed with every table.
    /^Service bindings, Durable Object bindings, and Tail consumers connect to other Wrangler or Vite dev processes running locally/,
  ];
}

const TABLE_HEADER = /^(\S+) has access to the following bindings:$/;

/** Filters one stream, line by line: `show` gets what the terminal should print. */
export class QuietLines {
  readonly #hidden: readonly RegExp[];
  readonly #show: (line: string) => void;
  readonly #tablesShown: Map<string, string>;
  #partial = "";
  #hiding = false;
  #blank = false;
  #table: { worker: string; lines: string[] } | undefined;

  /** `tablesShown` is shared by the streams of one process, so a table is not shown twice. */
  constructor(hidden: readonly RegExp[], show: (line: string) => void, tablesShown: Map<string, string>) {
    this.#hidden = hidden;
    this.#show = show;
    this.#tablesShown = tablesShown;
  }

  write(chunk: string): void {
    const lines = (this.#partial + chunk).split("\n");
    this.#partial = lines.pop() ?? "";
    for (const line of lines) this.#line(line);
  }

  /** Shows what is left: a last line without its newline, a table cut short. */
  end(): void {
    if (this.#partial !== "") this.#line(this.#partial);
    this.#partial = "";
    if (this.#table) for (const line of this.#table.lines) this.#emit(line);
    this.#table = undefined;
  }

  #line(line: string): void {
    const plain = stripAnsi(line).trimEnd();
    if (this.#table) {
      this.#table.lines.push(line);
      if (plain === "") this.#endTable(this.#table);
      return;
    }
    if (this.#hiding && (plain === "" || /^\s/.test(plain))) return;
    this.#hiding = this.#hidden.some((pattern) => pattern.test(plain));
    if (this.#hiding) return;
    const worker = TABLE_HEADER.exec(plain)?.[1];
    if (worker !== undefined) this.#table = { worker, lines: [line] };
    else this.#emit(line);
  }

  /** Shows a line, but one blank line for a run of them. */
  #emit(line: string): void {
    const blank = stripAnsi(line).trim() === "";
    if (!(blank && this.#blank)) this.#show(line);
    this.#blank = blank;
  }

  #endTable(table: { worker: string; lines: string[] }): void {
    this.#table = undefined;
    const text = table.lines.map(stripAnsi).join("\n");
    if (this.#tablesShown.get(table.worker) === text) return;
    this.#tablesShown.set(table.worker, text);
    for (const line of table.lines) this.#emit(line);
  }
}
