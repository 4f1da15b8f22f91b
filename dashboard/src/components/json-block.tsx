import { json } from "../format";

/** A JSON value, pretty-printed; long values scroll (Chromium lets the keyboard scroll it). */
export function JsonBlock({ value }: { value: unknown }) {
  return <pre class="json">{json(value)}</pre>;
}
