import { href } from "../router";

const SECTIONS = [
  { id: "instances", label: "Instances", path: [] },
  { id: "metrics", label: "Metrics", path: ["metrics"] },
  { id: "versions", label: "Versions", path: ["versions"] },
  { id: "bulk", label: "Bulk jobs", path: ["bulk"] },
] as const;

export type WorkflowSection = (typeof SECTIONS)[number]["id"];

/** A workflow's title and the links to its pages. */
export function WorkflowNav({ workflow, current }: { workflow: string; current: WorkflowSection }) {
  return (
    <header class="page-header">
      <p class="breadcrumb">
        <a href={href([])}>Workflows</a> /
      </p>
      <h1>{workflow}</h1>
      <nav aria-label={`${workflow} pages`} class="tabs">
        {SECTIONS.map((section) => (
          <a
            key={section.id}
            href={href(["workflows", workflow, ...section.path])}
            aria-current={section.id === current ? "page" : undefined}
          >
            {section.label}
          </a>
        ))}
      </nav>
    </header>
  );
}
