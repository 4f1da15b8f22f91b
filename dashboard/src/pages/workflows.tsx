import type { Api, WorkflowTotals } from "../api";
import { ErrorAlert } from "../components/alert";
import { ColumnHeads } from "../components/column-heads";
import { CountBars } from "../components/count-bars";
import { Pager } from "../components/pager";
import { formatAgo, formatPercent, formatTime, shortId } from "../format";
import { useLoad } from "../hooks";
import { href, type Location, navigate } from "../router";

const PER_PAGE = 25;

/** Every workflow the token sees: what runs it, its current version, its instances by status. */
export function WorkflowsPage({ api, location }: { api: Api; location: Location }) {
  const search = location.query.get("search") ?? "";
  const page = Math.max(1, Math.floor(Number(location.query.get("page"))) || 1);
  const workflows = useLoad(
    () => api.listWorkflows({ search, page, per_page: PER_PAGE }),
    `workflows:${search}:${page}`,
    { refreshMs: 5000 },
  );
  // The last 24 hours of every workflow at once: one small read beside the list, less often.
  const overview = useLoad(() => api.metricsOverview(), "overview", { refreshMs: 60_000 });
  const totalsOf = new Map(overview.data?.workflows.map((totals) => [totals.workflow, totals]));
  const rows = workflows.data?.result ?? [];
  const pages = workflows.data?.info.total_pages;
  // The search and page are part of the link, so a reload or a shared link shows the same.
  const open = (next: { search: string; page: number }) =>
    navigate(href([], { search: next.search || undefined, page: next.page > 1 ? String(next.page) : undefined }));

  return (
    <main id="main">
      <h1>Workflows</h1>
      <search>
        <form
          class="inline-form"
          onSubmit={(event) => {
            event.preventDefault();
            const typed = new FormData(event.currentTarget).get("search");
            open({ search: typeof typed === "string" ? typed.trim() : "", page: 1 });
          }}
        >
          <label for="workflow-search">Find workflows by name</label>
          <input id="workflow-search" name="search" defaultValue={search} key={search} autocomplete="off" />
          <button type="submit">Find</button>
        </form>
      </search>
      <ErrorAlert error={workflows.error} title="Could not load workflows" />
      <ErrorAlert error={overview.error} title="Could not load the error rates" />
      {workflows.data && rows.length === 0 && (
        <p class="muted">
          {search ? `No workflow's name contains "${search}".` : "No workflows are bound to this Worker."}
        </p>
      )}
      {rows.length > 0 && (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <ColumnHeads
                  names={["Name", "Class", "Script", "Version", "Instances", "Errors (24 h)", "Last triggered"]}
                />
              </tr>
            </thead>
            <tbody>
              {rows.map((workflow) => (
                <tr key={workflow.id} data-workflow={workflow.name}>
                  <th scope="row">
                    <a href={href(["workflows", workflow.name])}>{workflow.name}</a>
                  </th>
                  <td>
                    <code>{workflow.class_name}</code>
                  </td>
                  <td>{workflow.script_name}</td>
                  <td>
                    <a href={href(["workflows", workflow.name, "versions"])} title={workflow.version_id}>
                      {shortId(workflow.version_id)}
                    </a>
                  </td>
                  <td>
                    <CountBars counts={workflow.instances} />
                  </td>
                  <td>
                    <ErrorRate workflow={workflow.name} totals={totalsOf.get(workflow.name)} />
                  </td>
                  <td title={formatTime(workflow.triggered_on)}>{formatAgo(workflow.triggered_on)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {pages !== undefined && pages > 1 && (
        <Pager
          label="Pages of workflows"
          page={page}
          pages={pages}
          onPrevious={page > 1 ? () => open({ search, page: page - 1 }) : undefined}
          onNext={page < pages ? () => open({ search, page: page + 1 }) : undefined}
        />
      )}
    </main>
  );
}

/** A workflow's error rate over the last 24 hours, with how many runs it is of; a link to its metrics. */
function ErrorRate({ workflow, totals }: { workflow: string; totals: WorkflowTotals | undefined }) {
  if (!totals) return <span class="muted">—</span>;
  const ended = totals.completed + totals.errored + totals.terminated;
  if (totals.error_rate === null) return <span class="muted">No runs ended</span>;
  return (
    <a
      href={href(["workflows", workflow, "metrics"], { bucket: "1h", window: "24h" })}
      class="error-rate"
      data-error-rate={totals.error_rate}
    >
      {formatPercent(totals.error_rate)} <span class="muted">of {ended.toLocaleString()} ended</span>
    </a>
  );
}
