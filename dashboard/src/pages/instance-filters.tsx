import { useState } from "preact/hooks";
import {
  INSTANCE_STATUSES,
  type InstanceStatus,
  isInstanceStatus,
  TRIGGER_SOURCES,
} from "../../../src/domain/instance-status";
import type { BulkFilter, Workflow } from "../api";
import { statusLabel } from "../components/status";
import { isoToLocal, localToIso } from "../format";
import { href, navigate } from "../router";

/** The list filters, as they appear in the page's link. */
export const FILTERS = [
  "status",
  "date_start",
  "date_end",
  "version_id",
  "trigger_source",
  "error_name",
  "id_prefix",
  "labels",
] as const;
export type Filters = Partial<Record<(typeof FILTERS)[number] | "direction" | "per_page", string>>;

/** Filters a bulk job can take as a filter rather than a list of ids: all the list's. */
export const BULK_FILTERS = new Set<string>(FILTERS);

export function filtersOf(query: URLSearchParams): Filters {
  const filters: Filters = {};
  for (const key of [...FILTERS, "direction", "per_page"] as const) {
    const value = query.get(key);
    if (value) filters[key] = value;
  }
  return filters;
}

/** The workflow's counts per status, each a link that filters the list by it. */
export function StatusChips({
  workflow,
  filters,
  onFilter,
}: {
  workflow: Workflow;
  filters: Filters;
  onFilter: (filters: Filters) => void;
}) {
  const total = INSTANCE_STATUSES.reduce((sum, status) => sum + workflow.instances[status], 0);
  return (
    <ul class="chips" aria-label="Instances by status">
      <li>
        <button
          type="button"
          aria-pressed={!filters.status}
          onClick={() => onFilter({ ...filters, status: undefined })}
        >
          All <strong>{total}</strong>
        </button>
      </li>
      {INSTANCE_STATUSES.filter((status) => workflow.instances[status] > 0 || filters.status === status).map(
        (status) => (
          <li key={status}>
            <button
              type="button"
              aria-pressed={filters.status === status}
              data-status={status}
              onClick={() => onFilter({ ...filters, status })}
            >
              <span class={`dot status-${status}`} aria-hidden="true" />
              {statusLabel(status)} <strong>{workflow.instances[status]}</strong>
            </button>
          </li>
        ),
      )}
    </ul>
  );
}

/** The filter form; applying it puts the filters in the page's link. */
export function FilterForm({
  filters,
  onApply,
  workflow,
}: {
  filters: Filters;
  onApply: (filters: Filters) => void;
  workflow: string;
}) {
  const [draft, setDraft] = useState<Filters>(filters);
  const [goTo, setGoTo] = useState("");
  const set = (key: keyof Filters) => (event: { currentTarget: { value: string } }) =>
    setDraft({ ...draft, [key]: event.currentTarget.value || undefined });

  return (
    <section class="card filters" aria-label="Filters">
      <form
        class="filter-grid"
        onSubmit={(event) => {
          event.preventDefault();
          onApply(draft);
        }}
      >
        <label>
          Status
          <select value={draft.status ?? ""} onChange={set("status")}>
            <option value="">Any</option>
            {INSTANCE_STATUSES.map((status) => (
              <option key={status} value={status}>
                {statusLabel(status)}
              </option>
            ))}
          </select>
        </label>
        <label>
          Created from
          <input
            type="datetime-local"
            value={isoToLocal(draft.date_start ?? null)}
            onChange={(event) => setDraft({ ...draft, date_start: localToIso(event.currentTarget.value) })}
          />
        </label>
        <label>
          Created until
          <input
            type="datetime-local"
            value={isoToLocal(draft.date_end ?? null)}
            onChange={(event) => setDraft({ ...draft, date_end: localToIso(event.currentTarget.value, "end") })}
          />
        </label>
        <label>
          Trigger
          <select value={draft.trigger_source ?? ""} onChange={set("trigger_source")}>
            <option value="">Any</option>
            {TRIGGER_SOURCES.map((source) => (
              <option key={source} value={source}>
                {source}
              </option>
            ))}
          </select>
        </label>
        <label>
          Version id
          <input value={draft.version_id ?? ""} onInput={set("version_id")} autocomplete="off" />
        </label>
        <label>
          Error name
          <input value={draft.error_name ?? ""} onInput={set("error_name")} autocomplete="off" />
        </label>
        <label>
          Id starts with
          <input value={draft.id_prefix ?? ""} onInput={set("id_prefix")} autocomplete="off" />
        </label>
        <label>
          Order
          <select value={draft.direction ?? "desc"} onChange={set("direction")}>
            <option value="desc">Newest first</option>
            <option value="asc">Oldest first</option>
          </select>
        </label>
        <label>
          Per page
          <select value={draft.per_page ?? "25"} onChange={set("per_page")}>
            {["10", "25", "50", "100"].map((size) => (
              <option key={size} value={size}>
                {size}
              </option>
            ))}
          </select>
        </label>
        <label class="wide">
          Labels
          <input
            value={draft.labels ?? ""}
            onInput={set("labels")}
            placeholder="tenant=acme,region in (eu,us)"
            autocomplete="off"
            spellcheck={false}
          />
        </label>
        <div class="actions">
          <button type="submit" class="primary">
            Apply filters
          </button>
          <button type="button" onClick={() => onApply({})}>
            Clear
          </button>
        </div>
      </form>
      <form
        class="inline-form"
        onSubmit={(event) => {
          event.preventDefault();
          if (goTo.trim()) navigate(href(["workflows", workflow, "instances", goTo.trim()]));
        }}
      >
        <label for="go-to-instance">Open instance by id</label>
        <input
          id="go-to-instance"
          value={goTo}
          onInput={(event) => setGoTo(event.currentTarget.value)}
          autocomplete="off"
        />
        <button type="submit">Open</button>
      </form>
    </section>
  );
}

export function bulkFilterOf(filters: Filters): BulkFilter {
  const status = statusOf(filters);
  return {
    ...(status ? { status } : {}),
    ...(filters.date_start ? { date_start: filters.date_start } : {}),
    ...(filters.date_end ? { date_end: filters.date_end } : {}),
    ...(filters.version_id ? { version_id: filters.version_id } : {}),
    ...(filters.trigger_source ? { trigger_source: filters.trigger_source } : {}),
    ...(filters.error_name ? { error_name: filters.error_name } : {}),
    ...(filters.id_prefix ? { id_prefix: filters.id_prefix } : {}),
    ...(filters.labels ? { labels: filters.labels } : {}),
  };
}

/** " (N)" when the counts tell how many instances match: they count by status only. */
export function matchingCount(workflow: Workflow | undefined, filters: Filters): string {
  if (!workflow || FILTERS.some((key) => key !== "status" && filters[key])) return "";
  const status = statusOf(filters);
  if (filters.status && !status) return "";
  const count = status
    ? workflow.instances[status]
    : INSTANCE_STATUSES.reduce((sum, each) => sum + workflow.instances[each], 0);
  return ` (${count})`;
}

/** The status filter when it names a status; the API refuses any other, and says why. */
function statusOf(filters: Filters): InstanceStatus | undefined {
  return filters.status && isInstanceStatus(filters.status) ? filters.status : undefined;
}
