import { createRoute } from "@hono/zod-openapi";
import { mintStreamToken } from "../access/stream-token";
import { ok } from "../lib/envelope";
import { ApiError } from "../lib/errors";
import { createRouter } from "../lib/router";
import { envelopeOf, failureResponses, jsonResponse } from "../schemas/envelope";
import { SubscribeQuery, SubscribeToken } from "../schemas/instances";
import { InstanceParams } from "../schemas/params";
import { INSTANCE } from "../schemas/paths";
import { openEventStream, pumpEvents } from "../services/instances/event-stream";
import { findHandle } from "../services/instances/handles";

/**
 * An instance's event stream over a WebSocket, as Cloudflare serves it: one JSON text message
 * per engine event, retained ones first, closed after the instance's terminal event.
 */
export const instanceStreamRoutes = createRouter()
  .openapi(
    createRoute({
      method: "get",
      path: `${INSTANCE}/subscribe`,
      tags: ["Instances"],
      summary: "Stream an instance's events over a WebSocket",
      description:
        "Send `Upgrade: websocket`. Each message is one engine event as JSON ({ instanceId, eventId, timestamp, type, … }). The socket closes with 1000 after the terminal event, 4409 when the instance is restarted (its history starts over: reconnect without a cursor), 1011 on an engine error.",
      request: { params: InstanceParams, query: SubscribeQuery },
      responses: { 101: { description: "Switching to the WebSocket protocol" }, ...failureResponses(400, 404) },
    }),
    async (c) => {
      if (c.req.header("Upgrade")?.toLowerCase() !== "websocket") {
        throw new ApiError(
          "invalidRequest",
          "header.upgrade: …/subscribe opens a WebSocket: send `Upgrade: websocket`",
        );
      }
      const { workflow_name, instance_id } = c.req.valid("param");
      const { cursor, filter } = c.req.valid("query");
      const stream = await openEventStream(c.var.deps, workflow_name, instance_id, { cursor, filter });
      const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
      server.accept();
      c.var.deps.defer(pumpEvents(server, stream));
      return new Response(null, { status: 101, webSocket: client });
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: `${INSTANCE}/subscribe/token`,
      tags: ["Instances"],
      summary: "Mint a short-lived credential that opens this instance's event stream",
      description:
        "For clients that cannot send Authorization with a WebSocket (browsers): open …/subscribe?token=… with it. It opens that one stream, read-only, for five minutes.",
      request: { params: InstanceParams },
      responses: { 200: jsonResponse(envelopeOf(SubscribeToken), "The credential"), ...failureResponses(400, 404) },
    }),
    async (c) => {
      const { workflow_name, instance_id } = c.req.valid("param");
      await findHandle(c.var.deps, workflow_name, instance_id);
      const minted = await mintStreamToken(c.env.ADMIN_TOKEN, { workflow: workflow_name, instanceId: instance_id });
      return c.json(ok(minted), 200);
    },
  );
