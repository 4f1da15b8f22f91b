/**
 * Labels: string pairs that say what an instance is about (tenant, order, region), and the
 * Kubernetes-style selectors that find instances by them.
 */

export type Labels = Record<string, string>;

export const MAX_LABELS = 16;
export const MAX_LABEL_VALUE_LENGTH = 256;
export const LABEL_KEY_PATTERN = /^[a-z0-9][a-z0-9._/-]{0,62}$/;

/**
 * A path into an instance's params, in the subset of JSONPath that SQLite evaluates the same
 * way: `$` then `.name` or `[index]` parts, e.g. `$.__dispatcherMetadata.tenantId`.
 */
export const LABEL_PATH_PATTERN = /^\$(\.[A-Za-z_][A-Za-z0-9_]*|\[[0-9]{1,6}\])+$/;

/** The JSON path of a label's value inside the `labels` object (keys may hold `.`, `/` or `-`). */
export function labelJsonPath(key: string): string {
  return `$."${key}"`;
}

/**
 * One requirement of a selector. `key=v` is `in` with one value and `key!=v` is `notin` with
 * one; as in Kubernetes, `notin` and `!=` also match instances without the key.
 */
export type LabelRequirement =
  | { key: string; operator: "in" | "notin"; values: string[] }
  | { key: string; operator: "exists" | "absent" };

/** A selector's requirements, all of which must hold (comma means AND). */
export type LabelSelector = LabelRequirement[];

export const MAX_SELECTOR_REQUIREMENTS = 16;
export const MAX_SELECTOR_VALUES = 32;

// Fields are declared, not parameter properties: Node's type stripping (scripts/index-triggers.ts
// imports this module through src/index/triggers.ts) only erases types.
export class SelectorError extends Error {
  readonly position: number;

  constructor(message: string, position: number) {
    super(`${message} at position ${position}`);
    this.position = position;
    this.name = "SelectorError";
  }
}

/**
 * Parses a selector in Kubernetes label-selector syntax: `key=value` (or `==`), `key!=value`,
 * `key in (a,b)`, `key notin (a,b)`, `key`, `!key`, joined by commas. A value is a bare word of
 * letters, digits, `_`, `.`, `-`, `/`, `:`, `@` (possibly empty), or a JSON string in double
 * quotes for anything else. Throws a `SelectorError` with the 0-based position of the problem.
 */
export function parseSelector(text: string): LabelSelector {
  return new SelectorParser(text).parse();
}

const BARE_VALUE = /[A-Za-z0-9_.\-/:@]/;
const KEY_CHAR = /[a-z0-9._/-]/;

class SelectorParser {
  #at = 0;

  readonly text: string;

  constructor(text: string) {
    this.text = text;
  }

  parse(): LabelSelector {
    const requirements: LabelSelector = [];
    this.#space();
    if (this.#at === this.text.length) throw new SelectorError("empty selector", 0);
    for (;;) {
      if (requirements.length === MAX_SELECTOR_REQUIREMENTS) {
        throw new SelectorError(`at most ${MAX_SELECTOR_REQUIREMENTS} requirements`, this.#at);
      }
      requirements.push(this.#requirement());
      this.#space();
      if (this.#at === this.text.length) return requirements;
      this.#expect(",");
      this.#space();
    }
  }

  #requirement(): LabelRequirement {
    if (this.#peek() === "!") {
      this.#at++;
      this.#space();
      return { key: this.#key(), operator: "absent" };
    }
    const key = this.#key();
    this.#space();
    const rest = this.text.slice(this.#at);
    if (rest.startsWith("!=")) {
      this.#at += 2;
      return { key, operator: "notin", values: [this.#valueAfterSpace()] };
    }
    if (rest.startsWith("==") || rest.startsWith("=")) {
      this.#at += rest.startsWith("==") ? 2 : 1;
      return { key, operator: "in", values: [this.#valueAfterSpace()] };
    }
    const word = /^(in|notin)(?![a-z0-9._/-])/.exec(rest);
    if (word?.[1] === "in" || word?.[1] === "notin") {
      this.#at += word[1].length;
      this.#space();
      return { key, operator: word[1], values: this.#valueList() };
    }
    if (this.#at === this.text.length || this.#peek() === ",") return { key, operator: "exists" };
    throw new SelectorError("expected =, ==, !=, in, notin, a comma or the end", this.#at);
  }

  #key(): string {
    const start = this.#at;
    while (this.#at < this.text.length && KEY_CHAR.test(this.#peek())) this.#at++;
    const key = this.text.slice(start, this.#at);
    if (key === "") throw new SelectorError("expected a label key", start);
    if (!LABEL_KEY_PATTERN.test(key)) {
      throw new SelectorError(`invalid label key "${key}" (${LABEL_KEY_PATTERN.source})`, start);
    }
    return key;
  }

  #valueList(): string[] {
    this.#expect("(");
    const values: string[] = [];
    for (;;) {
      if (values.length === MAX_SELECTOR_VALUES) {
        throw new SelectorError(`at most ${MAX_SELECTOR_VALUES} values in a set`, this.#at);
      }
      values.push(this.#valueAfterSpace());
      this.#space();
      if (this.#peek() === ")") {
        this.#at++;
        return values;
      }
      this.#expect(",");
    }
  }

  #valueAfterSpace(): string {
    this.#space();
    const start = this.#at;
    let value: string;
    if (this.#peek() === '"') {
      value = this.#quoted();
    } else {
      while (this.#at < this.text.length && BARE_VALUE.test(this.#peek())) this.#at++;
      value = this.text.slice(start, this.#at);
    }
    if (value.length > MAX_LABEL_VALUE_LENGTH) {
      throw new SelectorError(`a value may be at most ${MAX_LABEL_VALUE_LENGTH} characters`, start);
    }
    return value;
  }

  /** A JSON string literal: from the opening quote to the first unescaped closing one. */
  #quoted(): string {
    const start = this.#at;
    let end = start + 1;
    while (end < this.text.length && this.text[end] !== '"') end += this.text[end] === "\\" ? 2 : 1;
    if (end >= this.text.length) throw new SelectorError("unterminated quoted value", start);
    this.#at = end + 1;
    try {
      return JSON.parse(this.text.slice(start, end + 1)) as string;
    } catch {
      throw new SelectorError("invalid quoted value", start);
    }
  }

  #expect(char: string): void {
    if (this.#peek() !== char) throw new SelectorError(`expected "${char}"`, this.#at);
    this.#at++;
  }

  #space(): void {
    while (this.#at < this.text.length && /\s/.test(this.#peek())) this.#at++;
  }

  #peek(): string {
    return this.text[this.#at] ?? "";
  }
}

/** Whether an instance with `labels` matches the selector (the same rules the SQL applies). */
export function matchesSelector(labels: Labels, selector: LabelSelector): boolean {
  return selector.every((requirement) =>
    meets(Object.hasOwn(labels, requirement.key) ? labels[requirement.key] : undefined, requirement),
  );
}

function meets(value: string | undefined, requirement: LabelRequirement): boolean {
  switch (requirement.operator) {
    case "in":
      return value !== undefined && requirement.values.includes(value);
    case "notin":
      return value === undefined || !requirement.values.includes(value);
    case "exists":
      return value !== undefined;
    case "absent":
      return value === undefined;
  }
}

/** A selector written back in its canonical text (what a bulk job stores and shows). */
export function formatSelector(selector: LabelSelector): string {
  return selector
    .map((requirement) => {
      switch (requirement.operator) {
        case "exists":
          return requirement.key;
        case "absent":
          return `!${requirement.key}`;
        default: {
          const values = requirement.values.map(formatValue);
          if (values.length === 1) return `${requirement.key}${requirement.operator === "in" ? "=" : "!="}${values[0]}`;
          return `${requirement.key} ${requirement.operator} (${values.join(",")})`;
        }
      }
    })
    .join(",");
}

function formatValue(value: string): string {
  return /^[A-Za-z0-9_.\-/:@]*$/.test(value) ? value : JSON.stringify(value);
}
