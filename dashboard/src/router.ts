import { useEffect, useState } from "preact/hooks";

/**
 * Hash routes (`#/workflows/order-approval?status=waiting`): the Worker serves one page, and
 * every view, with its filters, is a link that survives a reload (the page of a list is not).
 */
export type Location = { path: string[]; query: URLSearchParams };

function read(): Location {
  const [path = "", query = ""] = location.hash.replace(/^#/, "").split("?");
  return { path: path.split("/").filter(Boolean).map(decodeSegment), query: new URLSearchParams(query) };
}

/** A segment as typed; one that is not valid percent-encoding is taken as it stands. */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

export function useLocation(): Location {
  const [current, setCurrent] = useState(read);
  useEffect(() => {
    const update = () => setCurrent(read());
    addEventListener("hashchange", update);
    return () => removeEventListener("hashchange", update);
  }, []);
  return current;
}

/** A link target from path segments and query values; empty values are left out. */
export function href(segments: string[], query: Record<string, string | undefined> = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value) params.set(key, value);
  const text = params.toString();
  return `#/${segments.map(encodeURIComponent).join("/")}${text ? `?${text}` : ""}`;
}

export function navigate(target: string): void {
  location.hash = target.replace(/^#/, "");
}
