import { useState } from "preact/hooks";
import type { Api, BulkAction, Workflow } from "../api";
import { ErrorAlert } from "../components/alert";
import { ColumnHeads } from "../components/column-heads";
import { LabelChips } from "../components/label-chips";
import { CursorPager, useCursorTrail } from "../components/pager";
import { StatusBadge } from "../components/status";
import { WorkflowNav } from "../components/workflow-nav";
import { formatTime, shortId } from "../format";
import { useLoad } from "../hooks";
import { narrowSelector } from "../labels";
import { href, type Location, navigate } from "../router";
import { BulkDialog } from "./bulk-dialog";
import {
  BULK_FILTERS,
  bulkFilterOf,
  FilterForm,
  type Filters,
  filtersOf,
  matchingCount,
  StatusChips,
} from "./instance-filters";
import { LabelGroupsCard } from "./label-groups";
import { StartInstance } from "./start-instance";

const REFRESH_MS = 5000;

/** A workflow's instances: its counts, the filters, the counts by a label, and the list they select. */
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
  const [autoRefresh, setAutoRefresh] = useState(true);
  const summary = useLoad(() => api.getWorkflow(workflow), `workflow:${workflow}`, {
    refreshMs: autoRefresh ? REFRESH_MS : undefined,
  });
  // The label the counts are grouped by is part of the link too, kept when the filters change.
  const groupKey = location.query.get("group") ?? undefined;
  const linkTo = (next: Filters, group = groupKey) => href(["workflows", workflow], { ...next, group });
  const setFilters = (next: Filters) => navigate(linkTo(next));
  // A label's link narrows the list to the instances that also have that label.
  const selectorLink = (requirement: string) =>
    linkTo({ ...filters, labels: narrowSelector(filters.labels, requirement) });

  return (
    <main id="main">
      <WorkflowNav workflow={workflow} current="instances" />
      <ErrorAlert error={summary.error} title="Could not load the workflow" />
      {summary.data && <StatusChips workflow={summary.data} filters={filters} onFilter={setFilters} />}
      {canEdit && <StartInstance api={api} workflow={workflow} />}
      <FilterForm key={filterKey} filters={filters} onApply={setFilters} workflow={workflow} />
      <LabelGroupsCard
        key={groupKey}
        api={api}
        workflow={workflow}
        groupKey={groupKey}
        filters={filters}
        refreshMs={autoRefresh ? REFRESH_MS : undefined}
        onGroup={(group) => navigate(linkTo(filters, group))}
        linkOf={selectorLink}
      />
      {/* Keyed by the filter: a new filter starts over on its first page with nothing selected. */}
      <InstanceList
        key={filterKey}
        api={api}
        workflow={workflow}
        summary={summary.data}
        filters={filters}
        canEdit={canEdit}
        autoRefresh={autoRefresh}
        onAutoRefresh={setAutoRefresh}
        selectorLink={selectorLink}
      />
    </main>
  );
}

type Selection = { kind: "ids"; ids: Set<string> } | { kind: "matching" };

const NOTHING_SELECTED: Selection = { kind: "ids", ids: new Set() };

/** One filter's instances, a page at a time, with selection and bulk actions. */
function InstanceList({
  api,
  workflow,
  summary,
  filters,
  canEdit,
  autoRefresh,
  onAutoRefresh,
  selectorLink,
}: {
  api: Api;
  workflow: string;
  summary: Workflow | undefined;
  filters: Filters;
  canEdit: boolean;
  autoRefresh: boolean;
  onAutoRefresh: (on: boolean) => void;
  selectorLink: (requirement: string) => string;
}) {
  const trail = useCursorTrail();
  const [selection, setSelection] = useState<Selection>(NOTHING_SELECTED);
  const [pendingAction, setPendingAction] = useState<BulkAction>();
  const list = useLoad(
    () => api.listInstances(workflow, { ...filters, cursor: trail.cursor, per_page: filters.per_page ?? 25 }),
    trail.cursor ?? "",
    { refreshMs: autoRefresh ? REFRESH_MS : undefined },
  );
  const rows = list.data?.result ?? [];
  const nextCursor = list.data?.info.cursor;
  const selectedIds = selection.kind === "ids" ? selection.ids : new Set<string>();
  const allOnPage = rows.length > 0 && rows.every((row) => selectedIds.has(row.id));
  const bulkFilterable = Object.keys(filters).every(
    (key) => BULK_FILTERS.has(key) || key === "direction" || key === "per_page",
  );

  function toggle(id: string) {
    const ids = new Set(selectedIds);
    if (ids.has(id)) ids.delete(id);
    else ids.add(id);
    setSelection({ kind: "ids", ids });
  }

  return (
    <>
      <div class="toolbar">
        <label class="inline">
          <input
            type="checkbox"
            checked={autoRefresh}
            onChange={(event) => onAutoRefresh(event.currentTarget.checked)}
          />
          Auto-refresh every 5 s
        </label>
        <button type="button" onClick={() => void list.reload()}>
          Refresh now
        </button>
        {/* Announced when the page's rows arrive, not on every refresh. */}
        <span class="muted" aria-live="polite">
          {list.loading ? "Loading…" : `${rows.length} shown`}
        </span>
      </div>

      {canEdit && (selection.kind === "matching" || selectedIds.size > 0) && (
        <section class="bulk-bar" aria-label="Bulk actions">
          <p>
            {selection.kind === "matching"
              ? `All instances matching the filter${matchingCount(summary, filters)} are selected.`
              : `${selectedIds.size} selected.`}{" "}
            {/* Also when every match is on this page: a job by filter acts on what matches when it
                runs (a tenant's instances, by their label), not on the ids seen here. */}
            {selection.kind === "ids" && allOnPage && bulkFilterable && (
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
            <button type="button" onClick={() => setPendingAction("restart")}>
              Restart…
            </button>
            <button type="button" onClick={() => setPendingAction("send_event")}>
              Send event…
            </button>
            <button type="button" class="danger" onClick={() => setPendingAction("terminate")}>
              Terminate…
            </button>
            <button type="button" class="danger" onClick={() => setPendingAction("delete")}>
              Delete…
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
                  description: `all instances matching the filter${matchingCount(summary, filters)}`,
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
              <ColumnHeads
                names={["Instance", "Status", "Labels", "Created", "Started", "Ended", "Version", "Trigger"]}
              />
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
                <td>
                  <LabelChips labels={row.labels} linkOf={selectorLink} />
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
                <td colSpan={canEdit ? 9 : 8} class="muted">
                  No instances match.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      <CursorPager label="Pages of instances" trail={trail} nextCursor={nextCursor} />
    </>
  );
}
