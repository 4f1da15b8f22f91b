import { type CountGroup, type CountsQuery, Grouping, SCAN_LIMIT } from "../../index/reads/counts";
import { acrossSegments } from "../../index/workflow-index";
import { ApiError } from "../../lib/errors";
import type { Deps } from "../deps";
import { overlaps, readIndexAddress, spansOf } from "./list";

export {
  type CountGroup,
  type CountGroupKey,
  type CountsQuery,
  type GroupDimension,
  SCAN_LIMIT,
} from "../../index/reads/counts";

export type CountsResult = { groups: CountGroup[]; source: "counts" | "scan" };

/**
 * Exact instance counts of a workflow, grouped by status, version and label values, of the
 * instances a filter (any a list takes) matches. Each segment in the filter's date range answers
 * its groups (from its maintained counts when they answer the query, whatever the number of
 * instances; else counted over its matching instances); the groups are summed here, and a
 * grouping counted one by one is refused past `SCAN_LIMIT` instances in all.
 */
export async function countInstances(deps: Deps, workflowName: string, query: CountsQuery): Promise<CountsResult> {
  const address = await readIndexAddress(deps.db, workflowName);
  const now = Date.now();
  const segments = spansOf(address.segments)
    .filter((span) => overlaps(span, query))
    .map((span) => span.ref);
  const answers = await acrossSegments(deps.index, { ...address, segments }, (segment) => segment.counts(query, now));
  const scanned = answers.reduce((sum, answer) => sum + answer.scanned, 0);
  if (scanned > SCAN_LIMIT) {
    throw new ApiError(
      "invalidRequest",
      `group_by: more than ${SCAN_LIMIT.toLocaleString("en")} instances match, and this grouping counts over them one by one; group by status and at most one label (with a selector on that label only), or narrow the selector`,
    );
  }
  const groups = new Grouping();
  for (const answer of answers) groups.addPacked(answer.groups);
  return {
    groups: groups.list(),
    source: answers.some((answer) => answer.source === "scan") ? "scan" : "counts",
  };
}
