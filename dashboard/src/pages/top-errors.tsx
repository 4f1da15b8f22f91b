import type { ErrorGroup } from "../api";
import { ErrorAlert } from "../components/alert";
import { ColumnHeads } from "../components/column-heads";
import { formatTime, shortId } from "../format";
import type { Loaded } from "../hooks";
import { href } from "../router";

/**
 * What the window's runs failed with, one row per error name and message shape, most frequent
 * first; each links to an instance that failed so, to see its steps.
 */
export function TopErrors({ workflow, errors }: { workflow: string; errors: Loaded<ErrorGroup[]> }) {
  const rows = errors.data ?? [];
  return (
    <section aria-labelledby="errors-title">
      <h2 id="errors-title">Top errors</h2>
      <p class="muted">
        The errors runs ended with, grouped by name and message: ids in a message are shown as <code>&lt;id&gt;</code>,
        numbers as <code>&lt;n&gt;</code>. They are counted by the hour, so the window is widened to whole hours.
      </p>
      <ErrorAlert error={errors.error} title="Could not load the errors" />
      {errors.loading && <p class="muted">Loading…</p>}
      {errors.data && rows.length === 0 && <p class="muted">No run ended with an error in this window.</p>}
      {rows.length > 0 && (
        <div class="table-wrap">
          <table class="top-errors">
            <caption class="visually-hidden">The most frequent errors of {workflow}</caption>
            <thead>
              <tr>
                <ColumnHeads names={["Error", "Message", "Count", "First seen", "Last seen", "Versions", "Example"]} />
              </tr>
            </thead>
            <tbody>
              {rows.map((group) => (
                <tr key={`${group.name}\n${group.message}`} data-error={group.name}>
                  <th scope="row">
                    <code>{group.name}</code>
                  </th>
                  <td class="message">
                    <code>{group.message}</code>
                  </td>
                  <td data-field="count">{group.count.toLocaleString()}</td>
                  <td>{formatTime(group.first_seen)}</td>
                  <td>{formatTime(group.last_seen)}</td>
                  <td>
                    <ul class="versions">
                      {group.versions.map((version) => (
                        <li key={version} title={version}>
                          <code>{shortId(version)}</code>
                        </li>
                      ))}
                    </ul>
                  </td>
                  <td class="example">
                    <a
                      href={href(["workflows", workflow, "instances", group.example_instance_id])}
                      aria-label={`Example instance ${group.example_instance_id}`}
                    >
                      {group.example_instance_id}
                    </a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
