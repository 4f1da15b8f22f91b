/**
 * Where Cloudflare may keep a Workflow's instances, as `jurisdiction` on the binding and on
 * `PUT …/workflows/:name` (changelog 2026-10-27); fixed once the workflow exists. The workflow's
 * index segments are Durable Objects created in the same jurisdiction.
 */
export const JURISDICTIONS = ["eu", "us", "fedramp"] as const;

export type Jurisdiction = (typeof JURISDICTIONS)[number];
