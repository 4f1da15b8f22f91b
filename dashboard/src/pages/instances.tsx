import { useState } from "preact/hooks";
import { INSTANCE_STATUSES, TRIGGER_SOURCES } from "../../../src/domain/instance-status";
import type { Api, BulkAction, BulkFilter, InstanceStatus, Workflow } from "../api";
import { ErrorAlert } from "../components/alert";
import { ColumnHeads } from "../components/column-heads";
import { ConfirmDialog } from "../components/confirm";
import { StatusBadge, statusLabel } from "../components/status";
import { WorkflowNav } from "../components/workflow-nav";
import { formatTime, isoToLocal, localToIso, shortId } from "../format";
import { useAction, useLoad } from "../hooks";
import { href, type Location, navigate } from "../router";
import { StartInstance } from "./start-instance";

/** The list filters, as they appear in the page's link. */
const FILTERS = [
  "status",
  "date_start",
  "date_end",
  "version_id",
  "trigger_source",
  "error_name",
  "id_prefix",
] as const;
type Filters = Partial<Record<(typeof FILTERS)[number] | "direction" | "per_page", string>>;

/** Filters a bulk job can take as a filter rather than a list of ids. */
const BULK_FILTERS = new Set(["status", "date_start", "date_end"]);

function filtersOf(query: URLSearchParams): Filters {
  const filters: Filters = {};
  for (const key of [...FILTERS, "direction", "per_page"] as const) {
    const value = query.get(key);
    if (value) filters[key] = value;
  }
  return filters;
}

type Selection = { kind: "ids"; ids: Set<string> } | { kind: "matching" };

const NOTHING_SELECTED: Selection = { kind: "ids", ids: new Set() };

/** A workflow's instances: filters, paging both ways, selection and bulk actions. */
export function InstancesPage({
  api,
  workflow,
  location,
  canEdit,
}: {
  api: Api;
  workflow: string;
  location: Location;
  canEdit: boolean;
}) {
  const filters = filtersOf(location.query);
  const filterKey = JSON.stringify(filters);
  // Where the operator is and what they picked belong to one filter: a new filter starts over
  // on its first page with nothing selected, from its very first request.
  const [view, setView] = useState<{ filterKey: string; trail: (string | undefined)[]; selection: Selection }>({
    filterKey,
    trail: [undefined],
    selection: NOTHING_SELECTED,
  });
  const current = view.filterKey === filterKey ? view : { filterKey, trail: [undefined], selection: NOTHING_SELECTED };
  // Cursors of the pages up to this one; the first page has none.
  const { trail, selection } = current;
  const setTrail = (next: (string | undefined)[]) => setView({ ...current, trail: next });
  const setSelection = (next: Selection) => setView({ ...current, selection: next });
  const cursor = trail[trail.length - 1];
  const [autoRefresh, setAutoRefresh] = useState(true);
  const [pendingAction, setPendingAction] = useState<BulkAction>();

  const summary = useLoad(() => api.getWorkflow(workflow), `workflow:${workflow}`, autoRefresh ? 5000 : undefined);
  const list = useLoad(
    () => api.listInstances(workflow, { ...filters, cursor, per_page: filters.per_page ?? 25 }),
    `${workflow}:${filterKey}:${cursor ?? ""}`,
    autoRefresh ? 5000 : undefined,
  );
  const rows = list.data?.result ?? [];
  const nextCursor = list.data?.info.cursor;
  const selectedIds = selection.kind === "ids" ? selection.ids : new Set<string>();
  const allOnPage = rows.length > 0 && rows.every((row) => selectedIds.has(row.id));
  const bulkFilterable = Object.keys(filters).every(
    (key) => BULK_FILTERS.has(key) || key === "direction" || key === "per_page",
  );

  function setFilters(next: Filters) {
    navigate(href(["workflows", workflow], next));
  }

  function toggle(id: string) {
    const ids = new Set(selectedIds);
    if (ids.has(id)) ids.delete(id);
    else ids.add(id);
    setSelection({ kind: "ids", ids });
  }

  return (
    <main id="main">
      <WorkflowNav workflow={workflow} current="instances" />
      <ErrorAlert error={summary.error} title="Could not load the workflow" />
      {summary.data && <StatusChips workflow={summary.data} filters={filters} onFilter={setFilters} />}
      {canEdit && <StartInstance api={api} workflow={workflow} />}
      <FilterForm key={filterKey} filters={filters} onApply={setFilters} workflow={workflow} />

      <div class="toolbar">
        <label class="inline">
          <input
            type="checkbox"
            checked={autoRefresh}
            onChange={(event) => setAutoRefresh(event.currentTarget.checked)}
          />
          Auto-refresh every 5 s
        </label>
        <button type="button" onClick={() => void list.reload()} disabled={list.loading}>
          Refresh now
        </button>
        <span class="muted" aria-live="polite">
          {list.loading ? "Loading…" : `${rows.length} shown`}
        </span>
      </div>

      {canEdit && (selection.kind === "matching" || selectedIds.size > 0) && (
        <section class="bulk-bar" aria-label="Bulk actions">
          <p>
            {selection.kind === "matching"
              ? `All instances matching the filter${matchingCount(summary.data, filters)} are selected.`
              : `${selectedIds.size} selected.`}{" "}
            {selection.kind === "ids" && allOnPage && nextCursor && bulkFilterable && (
              <button type="button" class="link" onClick={() => setSelection({ kind: "matching" })}>
                Select all matching the filter
              </button>
            )}
            <button type="button" class="link" onClick={() => setSelection(NOTHING_SELECTED)}>
              Clear selection
            </button>
          </p>
          <div class="actions">
            <button type="button" onClick={() => setPendingAction("pause")}>
              Pause…
            </button>
            <button type="button" onClick={() => setPendingAction("resume")}>
              Resume…
            </button>
            <button type="button" class="danger" onClick={() => setPendingAction("terminate")}>
              Terminate…
            </button>
          </div>
        </section>
      )}
      {pendingAction && (
        <BulkDialog
          api={api}
          workflow={workflow}
          action={pendingAction}
          target={
            selection.kind === "matching"
              ? {
                  filter: bulkFilterOf(filters),
                  description: `all instances matching the filter${matchingCount(summary.data, filters)}`,
                }
              : {
                  ids: [...selectedIds],
                  description: `${selectedIds.size} selected instance${selectedIds.size === 1 ? "" : "s"}`,
                }
          }
          onClose={() => setPendingAction(undefined)}
        />
      )}

      <ErrorAlert error={list.error} title="Could not list instances" />
      <div class="table-wrap">
        <table class="instances">
          <caption class="visually-hidden">Instances of {workflow}</caption>
          <thead>
            <tr>
              {canEdit && (
                <th scope="col" class="select">
                  <input
                    type="checkbox"
                    aria-label="Select every instance on this page"
                    checked={allOnPage || selection.kind === "matching"}
                    onChange={(event) =>
                      setSelection({
                        kind: "ids",
                        ids: event.currentTarget.checked ? new Set(rows.map((row) => row.id)) : new Set(),
                      })
                    }
                  />
                </th>
              )}
              <ColumnHeads names={["Instance", "Status", "Created", "Started", "Ended", "Version", "Trigger"]} />
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.id} data-instance={row.id}>
                {canEdit && (
                  <td class="select">
                    <input
                      type="checkbox"
                      aria-label={`Select ${row.id}`}
                      checked={selection.kind === "matching" || selectedIds.has(row.id)}
                      disabled={selection.kind === "matching"}
                      onChange={() => toggle(row.id)}
                    />
                  </td>
                )}
                <th scope="row">
                  <a href={href(["workflows", workflow, "instances", row.id])}>{row.id}</a>
                </th>
                <td>
                  <StatusBadge status={row.status} />
                  {row.error_name && <span class="muted"> {row.error_name}</span>}
                </td>
                <td>{formatTime(row.created_on)}</td>
                <td>{formatTime(row.started_on)}</td>
                <td>{formatTime(row.ended_on)}</td>
                <td title={row.version_id}>{shortId(row.version_id)}</td>
                <td>{row.trigger_source}</td>
              </tr>
            ))}
            {!list.loading && rows.length === 0 && (
              <tr>
                <td colSpan={canEdit ? 8 : 7} class="muted">
                  No instances match.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      <nav class="pager" aria-label="Pages of instances">
        <button type="button" disabled={trail.length === 1} onClick={() => setTrail(trail.slice(0, -1))}>
          ← Previous
        </button>
        <span>Page {trail.length}</span>
        <button type="button" disabled={!nextCursor} onClick={() => setTrail([...trail, nextCursor])}>
          Next →
        </button>
      </nav>
    </main>
  );
}

/** The workflow's counts per status, each a link that filters the list by it. */
function StatusChips({
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
function FilterForm({
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
            onChange={(event) => setDraft({ ...draft, date_end: localToIso(event.currentTarget.value) })}
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

function bulkFilterOf(filters: Filters): BulkFilter {
  return {
    ...(filters.status ? { status: filters.status as InstanceStatus } : {}),
    ...(filters.date_start ? { date_start: filters.date_start } : {}),
    ...(filters.date_end ? { date_end: filters.date_end } : {}),
  };
}

/** " (N)" when the counts tell how many instances match, which they do without dates. */
function matchingCount(workflow: Workflow | undefined, filters: Filters): string {
  if (!workflow || filters.date_start || filters.date_end) return "";
  const count = filters.status
    ? workflow.instances[filters.status as InstanceStatus]
    : INSTANCE_STATUSES.reduce((sum, status) => sum + workflow.instances[status], 0);
  return ` (${count})`;
}

const ACTION_WORDS: Record<BulkAction, { title: string; verb: string }> = {
  pause: { title: "Pause instances", verb: "Pause" },
  resume: { title: "Resume instances", verb: "Resume" },
  terminate: { title: "Terminate instances", verb: "Terminate" },
};

/** Confirms a bulk action with an optional reason, starts the job and opens its page. */
function BulkDialog({
  api,
  workflow,
  action,
  target,
  onClose,
}: {
  api: Api;
  workflow: string;
  action: BulkAction;
  target: { ids: string[]; description: string } | { filter: BulkFilter; description: string };
  onClose: () => void;
}) {
  const [reason, setReason] = useState("");
  const { busy, error, run } = useAction();
  const words = ACTION_WORDS[action];

  const confirm = () =>
    run(async () => {
      const job = await api.startBulkJob(workflow, {
        action,
        ...("ids" in target ? { instance_ids: target.ids } : { filter: target.filter }),
        ...(reason.trim() ? { reason: reason.trim() } : {}),
      });
      onClose();
      navigate(href(["workflows", workflow, "bulk", job.id]));
    });

  return (
    <ConfirmDialog
      title={words.title}
      confirmLabel={`${words.verb} ${"ids" in target ? target.ids.length : "all"}`}
      danger={action === "terminate"}
      busy={busy}
      onConfirm={() => void confirm()}
      onCancel={onClose}
    >
      <p>
        {words.verb} {target.description} of <strong>{workflow}</strong>? The job runs in the background; its page shows
        the progress and what happened to each instance.
        {action === "terminate" && " Terminated instances cannot be resumed."}
      </p>
      <label for="bulk-reason">Reason (recorded in the audit trail)</label>
      <input id="bulk-reason" value={reason} onInput={(event) => setReason(event.currentTarget.value)} />
      <ErrorAlert error={error} title="The job was refused" />
    </ConfirmDialog>
  );
}
