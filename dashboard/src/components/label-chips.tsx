import type { Labels } from "../api";
import { hasLabel } from "../labels";

/**
 * An instance's labels as compact `key=value` chips, by key. Each is a link when `linkOf` gives
 * one (to the instances that share the label), and has a remove button when `onRemove` is given.
 */
export function LabelChips({
  labels,
  linkOf,
  onRemove,
  disabled = false,
}: {
  labels: Labels;
  linkOf?: (requirement: string) => string;
  onRemove?: (key: string) => void;
  disabled?: boolean;
}) {
  const entries = Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (entries.length === 0) return null;
  return (
    <ul class="labels">
      {entries.map(([key, value]) => {
        const text = `${key}=${value}`;
        return (
          <li key={key} class="label" data-label={key} title={text}>
            {linkOf ? <a href={linkOf(hasLabel(key, value))}>{text}</a> : <span>{text}</span>}
            {onRemove && (
              <button
                type="button"
                class="remove"
                aria-label={`Remove the label ${key}`}
                disabled={disabled}
                onClick={() => onRemove(key)}
              >
                ×
              </button>
            )}
          </li>
        );
      })}
    </ul>
  );
}
