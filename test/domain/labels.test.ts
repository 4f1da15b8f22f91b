import { describe, it } from "vitest";
import { formatSelector, matchesSelector, parseSelector } from "../../src/domain/labels";

describe("parseSelector", () => {
  it.for([
    ["tenant=acme", [{ key: "tenant", operator: "in", values: ["acme"] }]],
    ["tenant==acme", [{ key: "tenant", operator: "in", values: ["acme"] }]],
    ["tenant != acme", [{ key: "tenant", operator: "notin", values: ["acme"] }]],
    ["region in (eu, us)", [{ key: "region", operator: "in", values: ["eu", "us"] }]],
    ["region notin (eu,us)", [{ key: "region", operator: "notin", values: ["eu", "us"] }]],
    ["vip", [{ key: "vip", operator: "exists" }]],
    ["!vip", [{ key: "vip", operator: "absent" }]],
    ["draft=", [{ key: "draft", operator: "in", values: [""] }]],
    ['customer="Acme, Inc."', [{ key: "customer", operator: "in", values: ["Acme, Inc."] }]],
    [
      "app.example/tier=gold, !draft ,order in (A-1,B-2)",
      [
        { key: "app.example/tier", operator: "in", values: ["gold"] },
        { key: "draft", operator: "absent" },
        { key: "order", operator: "in", values: ["A-1", "B-2"] },
      ],
    ],
  ] as const)("reads %s", ([text, expected], { expect }) => {
    expect(parseSelector(text)).toEqual(expected);
  });

  it.for([
    ["", "empty selector at position 0"],
    ["tenant=acme,", "expected a label key at position 12"],
    ["Tenant=acme", "expected a label key at position 0"],
    ["tenant=acme inc", 'expected "," at position 12'],
    ["tenant in (a,b", 'expected "," at position 14'],
    ["tenant in a,b", 'expected "(" at position 10'],
    ["tenant > 3", "expected =, ==, !=, in, notin, a comma or the end at position 7"],
    ['tenant="acme', "unterminated quoted value at position 7"],
    ["!", "expected a label key at position 1"],
    ["-x=1", 'invalid label key "-x"'],
  ] as const)("refuses %j with the position of the error", ([text, message], { expect }) => {
    expect(() => parseSelector(text)).toThrow(message);
  });

  it("writes a selector back to text it reads the same way", ({ expect }) => {
    const text = 'tenant=acme,region in (eu,us),!draft,vip,customer!="Acme, Inc."';
    const selector = parseSelector(text);
    expect(parseSelector(formatSelector(selector))).toEqual(selector);
  });
});

describe("matchesSelector", () => {
  const labels = { tenant: "acme", region: "eu" };
  it.for([
    ["tenant=acme", true],
    ["tenant=globex", false],
    ["tenant!=globex", true],
    ["plan!=gold", true],
    ["region in (eu,us)", true],
    ["region notin (eu,us)", false],
    ["plan notin (gold)", true],
    ["tenant", true],
    ["plan", false],
    ["!plan", true],
    ["!tenant", false],
    ["tenant=acme,region=us", false],
  ] as const)("%s on {tenant: acme, region: eu} is %s", ([text, expected], { expect }) => {
    expect(matchesSelector(labels, parseSelector(text))).toBe(expected);
  });
});
