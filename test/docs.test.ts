import { describe, it } from "vitest";
import apiDoc from "../docs/api.md?raw";
import { createApp } from "../src/app";
import { ERRORS } from "../src/lib/errors";

/** docs/api.md's table rows: `| 10400 | 404 | …` and `| GET | /workflows/… |`. */
const rows = apiDoc.split("\n").filter((line) => line.startsWith("|"));

/** A route of the OpenAPI document as docs/api.md writes it: below the account, `:name` for parameters. */
function documented(path: string): string {
  return path.replace(/^\/client\/v4(\/accounts\/\{account_id\})?/, "").replace(/\{([a-z_]+)\}/g, ":$1");
}

describe("docs/api.md", () => {
  it("lists every route of the OpenAPI document in its endpoint table", ({ expect }) => {
    const document = createApp().getOpenAPI31Document({ openapi: "3.1.0", info: { title: "", version: "" } });
    const routes = Object.entries(document.paths ?? {}).flatMap(([path, item]) =>
      Object.keys(item ?? {}).map((method) => ({ method: method.toUpperCase(), path: documented(path) })),
    );
    expect(routes.length).toBeGreaterThan(20);
    const missing = routes.filter(
      ({ method, path }) =>
        !rows.some((row) => {
          const [, methods = "", documentedPath = ""] = row.split(/(?<!\\)\|/).map((cell) => cell.trim());
          return methods.split(/[ ,]+/).includes(method) && documentedPath.replace(/`/g, "").split("?")[0] === path;
        }),
    );
    expect(missing).toEqual([]);
  });

  it("explains every code of the error registry", ({ expect }) => {
    const missing = Object.entries(ERRORS).filter(
      ([, { code, status }]) => !rows.some((row) => row.startsWith(`| ${code} `) && row.includes(`| ${status} `)),
    );
    expect(missing.map(([kind]) => kind)).toEqual([]);
  });
});
