import type { Api } from "../api";
import { ErrorAlert } from "../components/alert";
import { ColumnHeads } from "../components/column-heads";
import { CountBars } from "../components/count-bars";
import { formatAgo, formatTime, shortId } from "../format";
import { useLoad } from "../hooks";
import { href } from "../router";

/** Every workflow the token sees: what runs it, its current version, its instances by status. */
export function WorkflowsPage({ api }: { api: Api }) {
  const workflows = useLoad(() => api.listWorkflows(), "workflows", { refreshMs: 5000 });
  return (
    <main id="main">
      <h1>Workflows</h1>
      <ErrorAlert error={workflows.error} title="Could not load workflows" />
      {workflows.data && workflows.data.length === 0 && <p class="muted">No workflows are bound to this Worker.</p>}
      {workflows.data && workflows.data.length > 0 && (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <ColumnHeads names={["Name", "Class", "Script", "Version", "Instances", "Last triggered"]} />
              </tr>
            </thead>
            <tbody>
              {workflows.data.map((workflow) => (
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
                  <td title={formatTime(workflow.triggered_on)}>{formatAgo(workflow.triggered_on)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </main>
  );
}
