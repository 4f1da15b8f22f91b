import { createRoute } from "@hono/zod-openapi";
import { ok } from "../lib/envelope";
import { createRouter } from "../lib/router";
import { audited } from "../middleware/audit";
import { envelopeOf, failureResponses, jsonResponse } from "../schemas/envelope";
import { AccountParams } from "../schemas/params";
import { AccountSettings, SettingsPatchBody } from "../schemas/settings";
import { AUDITED } from "../services/audit/operations";
import { getSettings, updateSettings } from "../services/retention/settings";

const SETTINGS = "/accounts/{account_id}/workflows/settings";

/** Registered before the workflow routes: the literal segment wins over a workflow's name. */
export const settingsRoutes = createRouter()
  .openapi(
    createRoute({
      method: "get",
      path: SETTINGS,
      tags: ["Settings"],
      summary: "Get the account's Workflows settings (retention)",
      request: { params: AccountParams },
      responses: { 200: jsonResponse(envelopeOf(AccountSettings), "The settings"), ...failureResponses(400) },
    }),
    async (c) => c.json(ok(await getSettings(c.var.deps.db)), 200),
  )
  .openapi(
    createRoute({
      method: "patch",
      path: SETTINGS,
      tags: ["Settings"],
      summary: "Change some of the account's Workflows settings",
      request: {
        params: AccountParams,
        body: { required: true, content: { "application/json": { schema: SettingsPatchBody } } },
      },
      responses: { 200: jsonResponse(envelopeOf(AccountSettings), "The settings"), ...failureResponses(400) },
    }),
    async (c) => {
      const patch = c.req.valid("json");
      const settings = await audited(c, AUDITED.updateSettings(patch), () => updateSettings(c.var.deps.db, patch));
      return c.json(ok(settings), 200);
    },
  );
