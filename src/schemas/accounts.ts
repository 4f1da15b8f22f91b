import { z } from "@hono/zod-openapi";

export const Account = z
  .object({ id: z.string(), name: z.string(), type: z.literal("standard") })
  .openapi("Account", { description: "The one account this deployment serves (ACCOUNT_ID)." });
