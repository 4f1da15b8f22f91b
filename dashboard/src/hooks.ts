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

type LoadState<T> = { data: T | undefined; error: Error | undefined };

/**
 * Loads with `load` whenever `key` changes, and refreshes as `options` say. A refresh keeps
 * showing the last data; a response that arrives after a newer request is dropped. The next
 * refresh waits for the previous one to answer, so reads never pile up behind a slow one.
 */
export function useLoad<T>(load: () => Promise<T>, key: string, options: LoadOptions<T> = {}): Loaded<T> {
  const [state, setState] = useState<LoadState<T>>({ data: undefined, error: undefined });
  const latest = useRef(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  const reload = useCallback(async () => {
    const request = ++latest.current;
    try {
      const data = await loadRef.current();
      if (request === latest.current) setState({ data, error: undefined });
    } catch (error) {
      if (request === latest.current) setState((previous) => ({ ...previous, error: asError(error) }));
    }
  }, []);

  // A new key shows nothing stale: the previous view's data belongs to another query.
  useEffect(() => {
    setState({ data: undefined, error: undefined });
    void reload();
  }, [key, reload]);

  const { refreshMs, refreshWhile } = options;
  const mayChange = state.data === undefined || refreshWhile === undefined || refreshWhile(state.data);
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

  return { ...state, loading: state.data === undefined && state.error === undefined, reload };
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
