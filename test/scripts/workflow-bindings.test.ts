import { describe, it } from "vitest";
import { workflowEntries } from "../../scripts/lib/workflow-bindings";

const WORKER = `
name = "billing"

[[workflows]]
name = "invoice"
binding = "INVOICE"
class_name = "InvoiceWorkflow"

[[workflows]]
name = "remote"
binding = "REMOTE"
class_name = "RemoteWorkflow"
script_name = "other-worker"
`;

describe("workflowEntries", () => {
  it("lists each [[workflows]] binding with the Worker that defines its class", ({ expect }) => {
    expect(workflowEntries(WORKER)).toEqual([
      { name: "invoice", binding: "INVOICE", className: "InvoiceWorkflow", scriptName: "billing" },
      { name: "remote", binding: "REMOTE", className: "RemoteWorkflow", scriptName: "other-worker" },
    ]);
  });

  it("adds workflows declared in exports, reached through ctx.exports", ({ expect }) => {
    const config = `${WORKER}
[exports.ReportWorkflow]
type = "workflow"
name = "report"
limits = { steps = 500 }
default_retention = { success_retention = "3 days" }

[exports.SessionObject]
type = "durable-object"
`;
    expect(workflowEntries(config)).toContainEqual({
      name: "report",
      exportName: "ReportWorkflow",
      className: "ReportWorkflow",
      scriptName: "billing",
      limits: { steps: 500 },
      defaultRetention: { success_retention: "3 days" },
    });
    expect(workflowEntries(config)).toHaveLength(3);
  });

  it("makes a binding and an export of the same name one workflow", ({ expect }) => {
    const config = `${WORKER}
[exports.InvoiceWorkflow]
type = "workflow"
name = "invoice"
default_retention = { error_retention = 86400000 }
`;
    const invoice = workflowEntries(config).filter((entry) => entry.name === "invoice");
    expect(invoice).toEqual([
      {
        name: "invoice",
        binding: "INVOICE",
        exportName: "InvoiceWorkflow",
        className: "InvoiceWorkflow",
        scriptName: "billing",
        defaultRetention: { error_retention: 86_400_000 },
      },
    ]);
  });

  it.for([
    ["a retention that is no duration", 'default_retention = { success_retention = "7 dayz" }', /7 dayz/],
    ["an export of another class than its binding", "", /one workflow cannot be two classes/],
  ] as const)("refuses %s", ([, extra, message], { expect }) => {
    const className = extra === "" ? "OtherWorkflow" : "InvoiceWorkflow";
    const config = `${WORKER}
[exports.${className}]
type = "workflow"
name = "invoice"
${extra}
`;
    expect(() => workflowEntries(config)).toThrow(message);
  });
});
