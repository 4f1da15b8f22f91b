/** A table's column headings, each scoped to its column for screen readers. */
export function ColumnHeads({ names }: { names: string[] }) {
  return (
    <>
      {names.map((name) => (
        <th key={name} scope="col">
          {name}
        </th>
      ))}
    </>
  );
}
