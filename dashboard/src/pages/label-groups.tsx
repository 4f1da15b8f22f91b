import { useState } from "preact/hooks";
import type { Api } from "../api";
import { ErrorAlert } from "../components/alert";
import { CountBars, totalOf } from "../components/count-bars";
import { useLoad } from "../hooks";
import { hasLabel, lacksLabel } from "../labels";
import type { Filters } from "./instance-filters";

/** The most groups drawn: a key with a value per order would otherwise fill the page. */
const MAX_GROUPS = 12;

/**
 * The instances grouped by one label's values, a stacked bar per group; the key is in the
 * page's link. Each group links to the list narrowed to it.
 */
export function LabelGroupsCard({
  api,
  workflow,
  groupKey,
  filters,
  refreshMs,
  onGroup,
  linkOf,
}: {
  api: Api;
  workflow: string;
  groupKey: string | undefined;
  /** The list's filters: the counts are of the instances it lists. */
  filters: Filters;
  refreshMs: number | undefined;
  onGroup: (key: string | undefined) => void;
  linkOf: (requirement: string) => string;
}) {
  const [draft, setDraft] = useState(groupKey ?? "");
  return (
    <section class="card label-groups" aria-labelledby="label-groups-title">
      <h2 id="label-groups-title">Counts by label</h2>
      <form
        class="inline-form"
        onSubmit={(event) => {
          event.preventDefault();
          onGroup(draft.trim() || undefined);
        }}
      >
        <label for="group-key">Group by label</label>
        <input
          id="group-key"
          value={draft}
          placeholder="tenant"
          onInput={(event) => setDraft(event.currentTarget.value)}
          autocomplete="off"
        />
        <button type="submit">Group</button>
        {groupKey && (
          <button type="button" onClick={() => onGroup(undefined)}>
            Hide
          </button>
        )}
      </form>
      {groupKey && (
        <LabelGroups
          api={api}
          workflow={workflow}
          groupKey={groupKey}
          filters={filters}
          refreshMs={refreshMs}
          linkOf={linkOf}
        />
      )}
    </section>
  );
}

function LabelGroups({
  api,
  workflow,
  groupKey,
  filters,
  refreshMs,
  linkOf,
}: {
  api: Api;
  workflow: string;
  groupKey: string;
  filters: Filters;
  refreshMs: number | undefined;
  linkOf: (requirement: string) => string;
}) {
  // The order and page size of the list are not filters.
  const { direction: _direction, per_page: _perPage, ...narrowing } = filters;
  const filtered = Object.values(narrowing).some((value) => value !== undefined && value !== "");
  const counts = useLoad(
    () => api.countInstances(workflow, { group_by: `label:${groupKey}`, ...narrowing }),
    JSON.stringify([workflow, groupKey, narrowing]),
    { refreshMs },
  );
  const groups = counts.data?.groups ?? [];
  const shown = groups.slice(0, MAX_GROUPS);
  // The API answers the largest group first: every bar is drawn to its scale.
  const largest = shown[0] ? totalOf(shown[0].instances) : 0;
  return (
    <>
      <p class="muted">
        {filtered ? (
          <>
            The instances the filters match, by <code>{groupKey}</code>.
          </>
        ) : (
          <>
            All instances, by <code>{groupKey}</code>.
          </>
        )}
      </p>
      <ErrorAlert error={counts.error} title="Could not count the instances" />
      {counts.loading && <p class="muted">Counting…</p>}
      {counts.data && groups.length === 0 && <p class="muted">No instances match.</p>}
      {shown.length > 0 && (
        <ul class="group-bars" aria-label={`Instances by ${groupKey}`}>
          {shown.map((group) => {
            const value = group.key.labels?.[groupKey] ?? null;
            const requirement = value === null ? lacksLabel(groupKey) : hasLabel(groupKey, value);
            return (
              <li key={requirement} data-group={requirement}>
                <a class="group-name" href={linkOf(requirement)} title={`List the instances with ${requirement}`}>
                  {value === null ? `no ${groupKey}` : `${groupKey}=${value}`}
                </a>
                <strong class="group-total">{totalOf(group.instances).toLocaleString()}</strong>
                <CountBars counts={group.instances} scale={largest} />
              </li>
            );
          })}
        </ul>
      )}
      {groups.length > shown.length && (
        <p class="muted">
          {groups.length - shown.length} smaller group{groups.length - shown.length === 1 ? "" : "s"} not shown.
        </p>
      )}
    </>
  );
}
