import { bodyLimit } from "hono/body-limit";
import { requestId } from "hono/request-id";
import { failure } from "./lib/envelope";
import { ApiError, ERRORS } from "./lib/errors";
import { handleError } from "./lib/handle-error";
import { MAX_BODY_BYTES } from "./lib/json";
import { createRouter } from "./lib/router";
import { requireServedAccount } from "./middleware/account";
import { auditTrail } from "./middleware/audit";
import { authenticate, authorize } from "./middleware/auth";
import { provideDeps } from "./middleware/deps";
import { accountRoutes } from "./routes/accounts";
import { auditRoutes } from "./routes/audit";
import { bulkRoutes } from "./routes/bulk";
import { instanceStreamRoutes } from "./routes/instance-stream";
import { instanceRoutes } from "./routes/instances";
import { labelRoutes } from "./routes/labels";
import { metricsRoutes } from "./routes/metrics";
import { settingsRoutes } from "./routes/settings";
import { tokenRoutes } from "./routes/tokens";
import { versionRoutes } from "./routes/versions";
import { workflowRoutes } from "./routes/workflows";

/** Room for 100 instances with sizeable params in one batch create. */

/** The Worker's HTTP app: the Cloudflare-compatible REST API under /client/v4. */
export function createApp() {
  const app = createRouter();

  app.use(requestId());
  app.onError(handleError);
  app.notFound((c) =>
    c.json(
      failure([{ code: ERRORS.routeNotFound.code, message: `No route for ${c.req.method} ${c.req.path}` }]),
      ERRORS.routeNotFound.status,
    ),
  );

  // The API description is public: it holds no data, and tools fetch it before they have a token.
  app.doc31("/client/v4/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "Workflow control plane",
      version: "1.0.0",
      description: "Cloudflare's v4 Workflows API, served by a Worker next to your Workflows.",
    },
    security: [{ bearerAuth: [] }],
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", { type: "http", scheme: "bearer" });

  // Who is calling, whether the path names the served account, whether the caller may do this;
  // then the services, and the audit trail of what changed.
  app.use("/client/v4/*", authenticate(), bodyLimit({ maxSize: MAX_BODY_BYTES, onError: tooLarge }));
  app.use("/client/v4/accounts/:account_id/*", requireServedAccount());
  app.use("/client/v4/*", authorize(), provideDeps(), auditTrail());

  return (
    app
      .route("/client/v4", accountRoutes)
      .route("/client/v4", tokenRoutes)
      .route("/client/v4", auditRoutes)
      .route("/client/v4", settingsRoutes)
      .route("/client/v4", metricsRoutes)
      .route("/client/v4", workflowRoutes)
      .route("/client/v4", versionRoutes)
      // Before the instance routes: /instances/terminate and /instances/bulk are not instance ids.
      .route("/client/v4", bulkRoutes)
      .route("/client/v4", labelRoutes)
      .route("/client/v4", instanceRoutes)
      .route("/client/v4", instanceStreamRoutes)
  );
}

function tooLarge(): never {
  throw new ApiError("payloadTooLarge", `body: requests are limited to ${MAX_BODY_BYTES / 1024 / 1024} MiB`);
}
