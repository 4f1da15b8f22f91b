/**
 * Label selectors as the list's `labels` filter takes them (Kubernetes syntax). The API parses
 * them and says where one is malformed; the dashboard only writes the requirements for labels it
 * shows, and adds them to the selector already typed.
 */

/** A value the selector takes as it stands; any other is written as a JSON string. */
const BARE_VALUE = /^[A-Za-z0-9_.\-/:@]+$/;

/** `key=value`: the label has this value. */
export function hasLabel(key: string, value: string): string {
  return `${key}=${BARE_VALUE.test(value) ? value : JSON.stringify(value)}`;
}

/** `!key`: the instance has no such label. */
export function lacksLabel(key: string): string {
  return `!${key}`;
}

/**
 * The selector with one more requirement (a comma is AND), or as it is when it already has it,
 * so that following a label's link twice does not repeat it.
 */
export function narrowSelector(selector: string | undefined, requirement: string): string {
  const typed = selector?.trim() ?? "";
  if (typed === "") return requirement;
  return requirementsOf(typed).includes(requirement) ? typed : `${typed},${requirement}`;
}

/** The selector's requirements: split at the commas outside `in (…)` sets and quoted values. */
function requirementsOf(selector: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let at = 0; at < selector.length; at++) {
    const char = selector[at];
    if (quoted) {
      if (char === "\\") at++;
      else if (char === '"') quoted = false;
    } else if (char === '"') quoted = true;
    else if (char === "(") depth++;
    else if (char === ")") depth--;
    else if (char === "," && depth === 0) {
      parts.push(selector.slice(start, at).trim());
      start = at + 1;
    }
  }
  parts.push(selector.slice(start).trim());
  return parts;
}
