import { useCallback, useEffect, useRef, useState } from "preact/hooks";

export type Loaded<T> = {
  data: T | undefined;
  error: Error | undefined;
  /** Nothing to show yet: the first read for this key has not answered. */
  loading: boolean;
  reload: () => Promise<void>;
};

export type LoadOptions<T> = {
  /** Read again this long after the previous read answered, while the tab is visible. */
  refreshMs?: number | undefined;
  /** Keep refreshing only while the latest data says it may still change. */
  refreshWhile?: (data: T) => boolean;
};

type LoadState<T> = { key: string; data: T | undefined; error: Error | undefined };

/**
 * Loads with `load` whenever `key` changes, and refreshes as `options` say. A refresh keeps
 * showing the last data; a response that arrives after a newer request is dropped. The next
 * refresh waits for the previous one to answer, so reads never pile up behind a slow one.
 */
export function useLoad<T>(load: () => Promise<T>, key: string, options: LoadOptions<T> = {}): Loaded<T> {
  const [state, setState] = useState<LoadState<T>>({ key, data: undefined, error: undefined });
  const latest = useRef(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  const keyRef = useRef(key);
  keyRef.current = key;

  const reload = useCallback(async () => {
    const request = ++latest.current;
    const requestKey = keyRef.current;
    try {
      const data = await loadRef.current();
      if (request === latest.current) setState({ key: requestKey, data, error: undefined });
    } catch (error) {
      if (request === latest.current) {
        setState((previous) => ({
          key: requestKey,
          data: previous.key === requestKey ? previous.data : undefined,
          error: asError(error),
        }));
      }
    }
  }, []);

  useEffect(() => {
    void reload();
  }, [key, reload]);

  // Data of another key belongs to another query: never shown, not even for one frame.
  const current = state.key === key ? state : { key, data: undefined, error: undefined };
  const { refreshMs, refreshWhile } = options;
  const mayChange = current.data === undefined || refreshWhile === undefined || refreshWhile(current.data);
  useEffect(() => {
    if (!refreshMs || !mayChange) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async () => {
      if (document.visibilityState === "visible") await reload();
      if (!stopped) timer = setTimeout(() => void tick(), refreshMs);
    };
    timer = setTimeout(() => void tick(), refreshMs);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [refreshMs, mayChange, reload]);

  return {
    data: current.data,
    error: current.error,
    loading: current.data === undefined && current.error === undefined,
    reload,
  };
}

export function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

/**
 * A user action (a submit, a click) in flight: whether it runs, and how it failed. `fail`
 * reports a problem found before calling the API, such as JSON that does not parse.
 */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error>();
  const run = async (action: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    try {
      await action();
    } catch (caught) {
      setError(asError(caught));
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, run, fail: (message: string) => setError(new Error(message)) };
}

/** Parses what someone typed as JSON; empty text is no value. */
export function parseJson(text: string): { ok: true; value: unknown } | { ok: false; message: string } {
  if (text.trim() === "") return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (caught) {
    return { ok: false, message: asError(caught).message };
  }
}
