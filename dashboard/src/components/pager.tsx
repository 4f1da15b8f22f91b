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

/** Previous and Next; each is offered when there is a page that way. */
export function Pager({
  label,
  page,
  pages,
  onPrevious,
  onNext,
}: {
  label: string;
  page: number;
  /** How many pages there are, when the API says. */
  pages?: number | undefined;
  onPrevious: (() => void) | undefined;
  onNext: (() => void) | undefined;
}) {
  return (
    <nav class="pager" aria-label={label}>
      <button type="button" disabled={!onPrevious} onClick={onPrevious}>
        ← Previous
      </button>
      <span>
        Page {page}
        {pages !== undefined && ` of ${pages}`}
      </span>
      <button type="button" disabled={!onNext} onClick={onNext}>
        Next →
      </button>
    </nav>
  );
}

/** A Pager over a cursor trail; Next while the API says more remain. */
export function CursorPager({
  label,
  trail,
  nextCursor,
}: {
  label: string;
  trail: CursorTrail;
  nextCursor: string | undefined;
}) {
  return (
    <Pager
      label={label}
      page={trail.page}
      onPrevious={trail.page > 1 ? trail.previous : undefined}
      onNext={nextCursor ? () => trail.next(nextCursor) : undefined}
    />
  );
}
