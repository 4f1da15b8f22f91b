import { useMemo, useState } from "preact/hooks";
import { Api } from "./api";
import { BulkJobPage, BulkJobsPage } from "./pages/bulk";
import { InstancePage } from "./pages/instance";
import { InstancesPage } from "./pages/instances";
import { SignIn } from "./pages/sign-in";
import { VersionsPage } from "./pages/versions";
import { WorkflowsPage } from "./pages/workflows";
import { href, type Location, navigate, useLocation } from "./router";
import { abilities, clearSession, loadSession, type Session, saveSession } from "./session";

export function App() {
  const [session, setSession] = useState(loadSession);
  const location = useLocation();
  const api = useMemo(() => (session ? new Api(session.token, session.accountId) : null), [session]);

  if (!session || !api) {
    return (
      <SignIn
        onSignedIn={(signedIn) => {
          saveSession(signedIn);
          setSession(signedIn);
        }}
      />
    );
  }

  const readOnly = !abilities(session).edit;
  return (
    <>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
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

/** The page for the current hash route. */
function Page({ api, session, location }: { api: Api; session: Session; location: Location }) {
  const [section, workflow, kind, id] = location.path;
  if (section !== "workflows" || workflow === undefined) return <WorkflowsPage api={api} />;
  const can = abilities(session, workflow);
  if (kind === "instances" && id !== undefined) {
    return <InstancePage key={id} api={api} workflow={workflow} instanceId={id} can={can} />;
  }
  if (kind === "versions") return <VersionsPage api={api} workflow={workflow} />;
  if (kind === "bulk" && id !== undefined) {
    return <BulkJobPage key={id} api={api} workflow={workflow} jobId={id} canEdit={can.edit} />;
  }
  if (kind === "bulk") return <BulkJobsPage api={api} workflow={workflow} />;
  return <InstancesPage key={workflow} api={api} workflow={workflow} location={location} canEdit={can.edit} />;
}
