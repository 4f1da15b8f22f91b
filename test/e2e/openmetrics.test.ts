import { execFileSync } from "node:child_process";
import { describe, expect, inject, it } from "vitest";
import { unique } from "./ids.ts";
import { until } from "./poll.ts";

const { baseUrl, token, accountId } = inject("controlPlane");
const account = `${baseUrl}/accounts/${accountId}`;

type Sample = { name: string; labels: Record<string, string>; value: number };
type Family = { name: string; type: string; samples: Sample[] };

/**
 * Parses an exposition with the OpenMetrics project's reference parser (Python's
 * `prometheus_client.openmetrics.parser`, Debian's python3-prometheus-client, which `.ci/run`
 * installs), which refuses anything that is not OpenMetrics: a counter family without its
 * `_total` samples, a missing `# EOF`.
 */
function parseOpenMetrics(text: string): Family[] {
  const script = `
import json, sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families
families = text_string_to_metric_families(sys.stdin.read())
print(json.dumps([{"name": f.name, "type": f.type,
  "samples": [{"name": s.name, "labels": s.labels, "value": s.value} for s in f.samples]} for f in families]))
`;
  return JSON.parse(execFileSync("/usr/bin/python3", ["-c", script], { input: text, encoding: "utf8" })) as Family[];
}

async function call<T>(path: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(`${account}${path}`, {
    ...init,
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json", ...init.headers },
  });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { result: T }).result;
}

describe("GET /metrics in the OpenMetrics format", () => {
  it("parses with the reference OpenMetrics parser and carries the numbers the API gives", async () => {
    // A metrics-only token, as a Prometheus scrape job would hold.
    const scraper = await call<{ value: string }>("/tokens", {
      method: "POST",
      body: JSON.stringify({ name: unique("prometheus"), permissions: ["metrics"] }),
    });
    const ids = [unique("scraped"), unique("scraped")];
    for (const id of ids) {
      await call("/workflows/hello-world/instances", { method: "POST", body: JSON.stringify({ instance_id: id }) });
    }
    for (const id of ids) {
      await until(
        () => call<{ status: string }>(`/workflows/hello-world/instances/${id}`),
        (instance) => instance.status === "complete",
      );
    }
    const scrape = async () => {
      const response = await fetch(`${account}/metrics`, {
        headers: {
          Authorization: `Bearer ${scraper.value}`,
          Accept: "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5",
        },
      });
      expect(response.headers.get("Content-Type")).toContain("application/openmetrics-text");
      return parseOpenMetrics(await response.text());
    };
    const overview = await call<{ workflows: { workflow: string; created: number; completed: number }[] }>(
      `/metrics/overview?since=${new Date(Date.now() - 400 * 86_400_000).toISOString()}`,
    );
    const before = overview.workflows.find((row) => row.workflow === "hello-world");
    const families = await scrape();
    const family = (name: string) => families.find((each) => each.name === name);
    const sample = (name: string, labels: Record<string, string>) =>
      families
        .flatMap((each) => each.samples)
        .find(
          (each) => each.name === name && Object.entries(labels).every(([key, value]) => each.labels[key] === value),
        );

    expect(family("workflow_instances_created")?.type).toBe("counter");
    expect(family("workflow_instances_finished")?.type).toBe("counter");
    expect(family("workflow_instances")?.type).toBe("gauge");
    const created = sample("workflow_instances_created_total", { workflow: "hello-world" })?.value ?? 0;
    const completed =
      sample("workflow_instances_finished_total", { workflow: "hello-world", outcome: "completed" })?.value ?? 0;
    // The counters are what the overview of all kept hours says (each at least the two just run).
    expect(created).toBeGreaterThanOrEqual(Math.max(before?.created ?? 0, ids.length));
    expect(completed).toBeGreaterThanOrEqual(Math.max(before?.completed ?? 0, ids.length));
    const workflow = await call<{ instances: Record<string, number> }>("/workflows/hello-world");
    expect(sample("workflow_instances", { workflow: "hello-world", status: "complete" })?.value).toBe(
      workflow.instances.complete,
    );
  });
});
