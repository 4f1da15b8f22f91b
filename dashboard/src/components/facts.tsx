import type { ComponentChildren } from "preact";

/** Labelled values in a grid that wraps: several per row on a laptop, one per row on a phone. */
export function Facts({ items, class: className = "" }: { items: [string, ComponentChildren][]; class?: string }) {
  return (
    <dl class={`facts ${className}`}>
      {items.map(([label, value]) => (
        <div key={label}>
          <dt>{label}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}
