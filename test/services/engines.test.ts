import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import { createEngines } from "../../src/services/engines";

describe("createEngines", () => {
  const invoice = { name: "invoice", className: "InvoiceWorkflow", scriptName: "billing" };

  it("reaches a workflow declared only in exports through ctx.exports", ({ expect }) => {
    const engines = createEngines(env, { InvoiceWorkflow: env.HELLO_WORLD }, [
      { ...invoice, exportName: "InvoiceWorkflow" },
    ]);
    expect(engines.bindingFor("invoice")?.engine).toBe(env.HELLO_WORLD);
  });

  it("reaches a workflow with both a binding and an export through its binding", ({ expect }) => {
    const engines = createEngines(env, { InvoiceWorkflow: env.ORDER_APPROVAL }, [
      { ...invoice, binding: "HELLO_WORLD", exportName: "InvoiceWorkflow" },
    ]);
    expect(engines.bindingFor("invoice")?.engine).toBe(env.HELLO_WORLD);
  });

  it("leaves a workflow unbound when neither its binding nor its export is there", ({ expect }) => {
    const engines = createEngines(env, {}, [{ ...invoice, binding: "NO_SUCH_BINDING", exportName: "InvoiceWorkflow" }]);
    expect(engines.bindingFor("invoice")).toBeUndefined();
    expect(engines.deployed.map((workflow) => workflow.name)).toContain("invoice");
  });
});
