import { useCallback, useEffect, useRef, useState } from "preact/hooks";

export type Loaded<T> = {
  data: T | undefined;
  error: Error | undefined;
  loading: boolean;
  reload: () => Promise<void>;
};

/**
 * Loads with `load` whenever `key` changes, and again every `refreshMs` while that is set. A
 * refresh keeps showing the last data; a response that arrives after a newer request is dropped.
 */
export function useLoad<T>(load: () => Promise<T>, key: string, refreshMs?: number): Loaded<T> {
  const [state, setState] = useState<{ data: T | undefined; error: Error | undefined; loading: boolean }>({
    data: undefined,
    error: undefined,
    loading: true,
  });
  const latest = useRef(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  const reload = useCallback(async () => {
    const request = ++latest.current;
    setState((previous) => ({ ...previous, loading: true }));
    try {
      const data = await loadRef.current();
      if (request === latest.current) setState({ data, error: undefined, loading: false });
    } catch (error) {
      if (request === latest.current) {
        setState((previous) => ({
          ...previous,
          error: asError(error),
          loading: false,
        }));
      }
    }
  }, []);

  // A new key shows nothing stale: the previous view's data belongs to another query.
  useEffect(() => {
    setState({ data: undefined, error: undefined, loading: true });
    void reload();
  }, [key, reload]);

  useEffect(() => {
    if (!refreshMs) return;
    const timer = setInterval(() => {
      if (document.visibilityState === "visible") void reload();
    }, refreshMs);
    return () => clearInterval(timer);
  }, [refreshMs, reload]);

  return { ...state, reload };
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
