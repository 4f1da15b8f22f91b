import { json } from "../format";

/** A JSON value, pretty-printed; long values scroll (Chromium lets the keyboard scroll it). */
export function JsonBlock({ value }: { value: unknown }) {
  return <pre class="json">{json(value)}</pre>;
}

/**
 * An output as the API's log view gives it: JSON text, shown structured; text cut short (or
 * "[REDACTED]") is shown as it is.
 */
export function LogOutputBlock({ text, truncated = false }: { text: string | null | undefined; truncated?: boolean }) {
  if (text === null || text === undefined) return <JsonBlock value={null} />;
  if (truncated) return <pre class="json">{`${text}…`}</pre>;
  return <JsonBlock value={parsedOrAsIs(text)} />;
}

function parsedOrAsIs(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
