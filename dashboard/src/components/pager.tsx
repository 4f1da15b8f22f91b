import { useState } from "preact/hooks";

export type CursorTrail = {
  /** The cursor of the page shown; the first page has none. */
  cursor: string | undefined;
  page: number;
  next: (cursor: string) => void;
  previous: () => void;
};

/**
 * Paging both ways over an API that only pages forwards: the cursors of the pages up to this
 * one. A new query starts over: give the component that owns the trail a `key` of the query.
 */
export function useCursorTrail(): CursorTrail {
  const [trail, setTrail] = useState<(string | undefined)[]>([undefined]);
  return {
    cursor: trail[trail.length - 1],
    page: trail.length,
    next: (cursor) => setTrail([...trail, cursor]),
    previous: () => setTrail(trail.slice(0, -1)),
  };
}

/** Previous and Next over a cursor trail; Next while the API says more remain. */
export function Pager({
  label,
  trail,
  nextCursor,
}: {
  label: string;
  trail: CursorTrail;
  nextCursor: string | undefined;
}) {
  return (
    <nav class="pager" aria-label={label}>
      <button type="button" disabled={trail.page === 1} onClick={trail.previous}>
        ← Previous
      </button>
      <span>Page {trail.page}</span>
      <button type="button" disabled={!nextCursor} onClick={() => nextCursor && trail.next(nextCursor)}>
        Next →
      </button>
    </nav>
  );
}
