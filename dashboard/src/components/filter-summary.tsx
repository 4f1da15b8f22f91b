import type { BulkFilter, BulkJobFilter } from "../api";
import { formatTime } from "../format";

/** The filter's conditions, named as the list's filter form names them, in its order. */
const CONDITIONS: [keyof BulkFilter, string][] = [
  ["labels", "labels"],
  ["status", "status"],
  ["date_start", "created from"],
  ["date_end", "created until"],
  ["trigger_source", "trigger"],
  ["version_id", "version"],
  ["error_name", "error"],
  ["id_prefix", "id starts with"],
];

/**
 * What a bulk job selects by filter, in one line: the job acts on every instance that matches
 * when it runs, so the operator sees the conditions, not only a count.
 */
export function FilterSummary({ filter }: { filter: BulkFilter | BulkJobFilter }) {
  const conditions = CONDITIONS.flatMap(([key, name]) => {
    const value = filter[key];
    if (value === undefined || value.length === 0) return [];
    const text = Array.isArray(value) ? value.join(", ") : key.startsWith("date_") ? formatTime(value) : value;
    return [{ key, name, text }];
  });
  return (
    <p class="selection">
      Selected by{" "}
      {conditions.length === 0
        ? "no filter: every instance of the workflow"
        : conditions.map(({ key, name, text }, index) => (
            <span key={key} data-filter={key}>
              {index > 0 && "; "}
              {name} <code>{text}</code>
            </span>
          ))}
      .
    </p>
  );
}
