import { useState } from "preact/hooks";
import type { Api, Version } from "../api";
import { ErrorAlert } from "../components/alert";
import { WorkflowNav } from "../components/workflow-nav";
import { formatDuration, formatTime, shortId } from "../format";
import { useLoad } from "../hooks";

/** The fields a version fixes, as the diff compares them. */
const FIELDS: { label: string; read: (version: Version) => string }[] = [
  { label: "Class", read: (version) => version.class_name },
  { label: "Script", read: (version) => version.script_name },
  { label: "Step limit", read: (version) => String(version.limits?.steps ?? "default") },
  {
    label: "Success retention",
    read: (version) => retention(version.default_retention?.success_retention),
  },
  { label: "Error retention", read: (version) => retention(version.default_retention?.error_retention) },
];

function retention(ms: number | undefined): string {
  return ms === undefined ? "default" : formatDuration(ms);
}

/** A workflow's versions, newest first, and what changed between any two. */
export function VersionsPage({ api, workflow }: { api: Api; workflow: string }) {
  const versions = useLoad(() => api.listVersions(workflow), `versions:${workflow}`);
  const list = versions.data ?? [];
  const [selected, setSelected] = useState<{ from?: string; to?: string }>({});
  const to = list.find((version) => version.id === selected.to) ?? list[0];
  const from = list.find((version) => version.id === selected.from) ?? list[1];

  return (
    <main id="main">
      <WorkflowNav workflow={workflow} current="versions" />
      <ErrorAlert error={versions.error} title="Could not load versions" />
      {list.length > 0 && (
        <div class="table-wrap">
          <table>
            <caption class="visually-hidden">Versions of {workflow}, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Version</th>
                <th scope="col">Created</th>
                {FIELDS.map((field) => (
                  <th key={field.label} scope="col">
                    {field.label}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {list.map((version, index) => (
                <tr key={version.id} data-version={version.id}>
                  <th scope="row" title={version.id}>
                    {shortId(version.id)} {index === 0 && <span class="badge">current</span>}
                  </th>
                  <td>{formatTime(version.created_on)}</td>
                  {FIELDS.map((field) => (
                    <td key={field.label}>{field.read(version)}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {list.length === 1 && <p class="muted">One version so far: a PUT that changes the definition records another.</p>}
      {list.length > 1 && from && to && (
        <section class="card" aria-labelledby="diff-title">
          <h2 id="diff-title">What changed</h2>
          <div class="filter-grid">
            <VersionSelect
              label="From"
              versions={list}
              value={from.id}
              onChange={(id) => setSelected({ ...selected, from: id })}
            />
            <VersionSelect
              label="To"
              versions={list}
              value={to.id}
              onChange={(id) => setSelected({ ...selected, to: id })}
            />
          </div>
          <table class="diff">
            <thead>
              <tr>
                <th scope="col">Field</th>
                <th scope="col">{shortId(from.id)}</th>
                <th scope="col">{shortId(to.id)}</th>
              </tr>
            </thead>
            <tbody>
              {FIELDS.map((field) => {
                const before = field.read(from);
                const after = field.read(to);
                const changed = before !== after;
                return (
                  <tr key={field.label} class={changed ? "changed" : ""}>
                    <th scope="row">
                      {field.label}
                      {changed && <span class="visually-hidden"> (changed)</span>}
                    </th>
                    <td>{before}</td>
                    <td>
                      {after}
                      {changed && (
                        <span class="badge" aria-hidden="true">
                          changed
                        </span>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          {FIELDS.every((field) => field.read(from) === field.read(to)) && (
            <p class="muted">These two versions define the workflow identically.</p>
          )}
        </section>
      )}
    </main>
  );
}

function VersionSelect({
  label,
  versions,
  value,
  onChange,
}: {
  label: string;
  versions: Version[];
  value: string;
  onChange: (id: string) => void;
}) {
  return (
    <label>
      {label}
      <select value={value} onChange={(event) => onChange(event.currentTarget.value)}>
        {versions.map((version) => (
          <option key={version.id} value={version.id}>
            {shortId(version.id)} · {formatTime(version.created_on)}
          </option>
        ))}
      </select>
    </label>
  );
}
