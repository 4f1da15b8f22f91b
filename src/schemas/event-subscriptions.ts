import { z } from "@hono/zod-openapi";

/**
 * A message of Cloudflare's Event Subscriptions for Workflows, as delivered to the Queue this
 * Worker consumes (docs: workflows/reference/event-subscriptions). Only what the consumer needs
 * is required; other events of the same source pass too.
 */
export const WorkflowLifecycleMessage = z.object({
  type: z.string().startsWith("cf.workflows.workflow.instance."),
  source: z.object({ type: z.literal("workflows.workflow"), workflowName: z.string().min(1) }),
  payload: z.object({ instanceId: z.string().min(1), versionId: z.string().optional() }),
  metadata: z.object({ eventTimestamp: z.string().optional() }).optional(),
});

export type WorkflowLifecycleMessage = z.infer<typeof WorkflowLifecycleMessage>;
