import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { Api } from "./api";
import { BulkJobPage, BulkJobsPage } from "./pages/bulk";
import { InstancePage } from "./pages/instance";
import { InstancesPage } from "./pages/instances";
import { MetricsPage } from "./pages/metrics";
import { SignIn } from "./pages/sign-in";
import { VersionsPage } from "./pages/versions";
import { WorkflowsPage } from "./pages/workflows";
import { href, type Location, navigate, useLocation } from "./router";
import { abilities, clearSession, loadSession, type Session, saveSession } from "./session";

export function App() {
  const [session, setSession] = useState(loadSession);
  const [ended, setEnded] = useState<Error>();
  const location = useLocation();
  const api = useMemo(
    () =>
      session
        ? new Api(session.token, session.accountId, (refusal) => {
            clearSession();
            setSession(null);
            setEnded(refusal);
          })
        : null,
    [session],
  );

  if (!session || !api) {
    return (
      <SignIn
        ended={ended}
        onSignedIn={(signedIn) => {
          saveSession(signedIn);
          setEnded(undefined);
          setSession(signedIn);
        }}
      />
    );
  }

  const readOnly = !abilities(session).edit;
  return (
    <>
      <button type="button" class="skip-link" onClick={skipToContent}>
        Skip to content
      </button>
      <header class="top-bar">
        <a class="brand" href={href([])}>
          Workflow control plane
        </a>
        <div class="who">
          <span>
            Signed in as <strong>{session.identity.name}</strong>
            {readOnly && <span class="badge">read only</span>}
          </span>
          <button
            type="button"
            onClick={() => {
              clearSession();
              setSession(null);
              navigate(href([]));
            }}
          >
            Sign out
          </button>
        </div>
      </header>
      <Page api={api} session={session} location={location} />
    </>
  );
}

/** The routes live in the hash, so the skip link moves focus rather than linking to #main. */
function skipToContent() {
  const main = document.getElementById("main");
  if (!main) return;
  main.tabIndex = -1;
  main.focus();
}

/**
 * Names the page in the tab's title and, after a move to another page, puts focus on its
 * heading, so a screen reader says where the reader landed instead of losing focus with the
 * link that was clicked.
 */
function useAnnouncedPage(path: string) {
  const arrived = useRef(false);
  useEffect(() => {
    const heading = document.querySelector<HTMLElement>("main h1");
    const name = heading?.firstChild?.textContent?.trim();
    document.title = name ? `${name} · Workflow control plane` : "Workflow control plane";
    if (!arrived.current) {
      arrived.current = true;
      return;
    }
    if (heading) {
      heading.tabIndex = -1;
      heading.focus();
    }
  }, [path]);
}

/** The page for the current hash route. */
function Page({ api, session, location }: { api: Api; session: Session; location: Location }) {
  useAnnouncedPage(location.path.join("/"));
  const [section, workflow, kind, id] = location.path;
  if (section !== "workflows" || workflow === undefined) return <WorkflowsPage api={api} location={location} />;
  const can = abilities(session, workflow);
  if (kind === "instances" && id !== undefined) {
    return <InstancePage key={id} api={api} workflow={workflow} instanceId={id} can={can} />;
  }
  if (kind === "versions") return <VersionsPage api={api} workflow={workflow} />;
  if (kind === "metrics") return <MetricsPage key={workflow} api={api} workflow={workflow} location={location} />;
  if (kind === "bulk" && id !== undefined) {
    return <BulkJobPage key={id} api={api} workflow={workflow} jobId={id} canEdit={can.edit} />;
  }
  if (kind === "bulk") return <BulkJobsPage api={api} workflow={workflow} />;
  return <InstancesPage key={workflow} api={api} workflow={workflow} location={location} canEdit={can.edit} />;
}
