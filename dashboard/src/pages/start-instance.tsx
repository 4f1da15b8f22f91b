import { useState } from "preact/hooks";
import type { Api } from "../api";
import { ErrorAlert } from "../components/alert";
import { parseJson, useAction } from "../hooks";
import { href, navigate } from "../router";

/** Starts an instance with an optional id and JSON params, then opens it. */
export function StartInstance({ api, workflow }: { api: Api; workflow: string }) {
  const [instanceId, setInstanceId] = useState("");
  const [params, setParams] = useState("{}");
  const { busy, error, run, fail } = useAction();

  function submit(event: Event) {
    event.preventDefault();
    const parsed = parseJson(params);
    if (!parsed.ok) return fail(`Params are not valid JSON: ${parsed.message}`);
    void run(async () => {
      const created = await api.createInstance(workflow, {
        ...(instanceId.trim() ? { instance_id: instanceId.trim() } : {}),
        ...(parsed.value === undefined ? {} : { params: parsed.value }),
      });
      navigate(href(["workflows", workflow, "instances", created.id]));
    });
  }

  return (
    <details class="card">
      <summary>Start an instance</summary>
      <form onSubmit={submit} class="stack">
        <label for="new-instance-id">Instance id (optional)</label>
        <input
          id="new-instance-id"
          value={instanceId}
          onInput={(event) => setInstanceId(event.currentTarget.value)}
          placeholder="A random UUID when empty"
          autocomplete="off"
        />
        <label for="new-instance-params">Params (JSON)</label>
        <textarea
          id="new-instance-params"
          rows={4}
          value={params}
          onInput={(event) => setParams(event.currentTarget.value)}
          spellcheck={false}
        />
        <ErrorAlert error={error} title="Could not start the instance" />
        <div>
          <button type="submit" class="primary" disabled={busy}>
            {busy ? "Starting…" : "Start instance"}
          </button>
        </div>
      </form>
    </details>
  );
}
