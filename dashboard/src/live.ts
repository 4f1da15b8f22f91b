import { useEffect, useRef } from "preact/hooks";
import type { Api } from "./api";

/** Close codes of the API's event stream: it ended, or the instance restarted (start over). */
const ENDED = 1000;
const RESTARTED = 4409;

/**
 * Follows an instance through its event stream while `enabled`, calling `onChange` (at most every
 * 250 ms) when events arrive: the page reads the instance again instead of polling. A stream
 * that breaks is reopened after the last event seen, one that ended stays closed, and one
 * closed by a restart is reopened from the start.
 */
export function useInstanceEvents(
  api: Api,
  workflow: string,
  instanceId: string,
  enabled: boolean,
  onChange: () => void,
) {
  const onChangeRef = useRef(onChange);
  onChangeRef.current = onChange;
  useEffect(() => {
    if (!enabled) return;
    let stopped = false;
    let socket: WebSocket | undefined;
    let cursor: number | undefined;
    let pending: ReturnType<typeof setTimeout> | undefined;
    let retry: ReturnType<typeof setTimeout> | undefined;
    const changed = () => {
      pending ??= setTimeout(() => {
        pending = undefined;
        onChangeRef.current();
      }, 250);
    };
    const open = async (attempt: number) => {
      try {
        const url = new URL(await api.eventStreamPath(workflow, instanceId, cursor), location.href);
        url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
        socket = new WebSocket(url);
      } catch {
        if (!stopped) retry = setTimeout(() => void open(attempt + 1), Math.min(30_000, 1000 * 2 ** attempt));
        return;
      }
      if (stopped) {
        socket.close();
        return;
      }
      socket.addEventListener("message", (message) => {
        cursor = (JSON.parse(String(message.data)) as { eventId: number }).eventId;
        changed();
      });
      socket.addEventListener("close", (close) => {
        if (stopped) return;
        changed();
        if (close.code === ENDED) return;
        if (close.code === RESTARTED) cursor = undefined;
        retry = setTimeout(() => void open(attempt + 1), Math.min(30_000, 1000 * 2 ** attempt));
      });
    };
    void open(0);
    return () => {
      stopped = true;
      clearTimeout(pending);
      clearTimeout(retry);
      socket?.close();
    };
  }, [api, workflow, instanceId, enabled]);
}
