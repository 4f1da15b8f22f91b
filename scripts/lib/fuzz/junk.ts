/** Malformed input the fuzz sends: path and query values, and bodies. */

export const JUNK = [
  "",
  " ",
  "%",
  "%00",
  "..",
  "../..",
  "x".repeat(300),
  "é😀",
  "-1",
  "0",
  "1e309",
  "NaN",
  "null",
  "true",
  "[]",
  "{}",
  "<script>",
  "a b",
  "a/b",
  "2026-02-30",
  `cf_${"a".repeat(64)}`,
];

/** Path values that make the URL address another route (dot segments, an empty segment), which may be valid there. */
export const DOT_SEGMENTS = new Set(["..", "../..", "", " "]);

/** Bodies no operation accepts: not JSON at all. */
export const BROKEN_BODIES = ["{", "[", '{"a":', "\u0000", `{"params":${"[".repeat(200)}`];

/** Bodies that are JSON but mostly of the wrong shape; some operations accept some of them. */
export const ODD_BODIES = [
  "null",
  "42",
  '"text"',
  "[]",
  "{}",
  '{"status":"fly"}',
  '{"instance_id":5}',
  `{"params":${"[".repeat(200)}${"]".repeat(200)}}`,
  '{"__proto__":{"admin":true}}',
  '{"action":"terminate","filter":{"labels":"x"}}',
  '{"action":"delete","filter":{"bogus":1}}',
  '{"count":1000}',
  '{"instances":[{"id":"x"}]}',
  '{"set":{"Bad Key":"x"}}',
  '{"set":{"a":"b"},"remove":["a"]}',
  '{"default_retention":{"success_retention":"forever"}}',
  '{"name":"x","permissions":["root"]}',
];
