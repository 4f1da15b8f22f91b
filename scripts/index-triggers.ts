/**
 * Writes the index segment's triggers migration (a drizzle-kit custom migration) from
 * src/index/triggers.ts, where the triggers are rendered from the domain's constants.
 *
 *   node scripts/index-triggers.ts           write the file
 *   node scripts/index-triggers.ts --check   fail if the file differs from the render
 */
import { readFileSync, writeFileSync } from "node:fs";
import { renderTriggerMigration } from "../src/index/triggers.ts";

const FILE = "src/index/migrations/0001_triggers.sql";
const OUTPUT = new URL(`../${FILE}`, import.meta.url);

const rendered = renderTriggerMigration();
if (process.argv.includes("--check")) {
  let current = "";
  try {
    current = readFileSync(OUTPUT, "utf8");
  } catch {
    // A missing file is simply out of date.
  }
  if (current !== rendered) {
    console.error(`${FILE} differs from what src/index/triggers.ts renders: run \`npm run index:generate\`.`);
    process.exit(1);
  }
} else {
  writeFileSync(OUTPUT, rendered);
}
