import { Link, Navigate, NavLink, Outlet, useLocation, useNavigate } from "react-router";
import { atLeast, useSession } from "./session.tsx";

/** Pages for signed-in people: sends anyone else to sign in, and back here afterwards. */
export function RequireSession() {
  const { session } = useSession();
  const location = useLocation();
  if (!session) {
    const next = `${location.pathname}${location.search}`;
    return <Navigate to={`/sign-in?next=${encodeURIComponent(next)}`} replace />;
  }
  return <Outlet />;
}

function Navigation() {
  const { session, end } = useSession();
  const navigate = useNavigate();
  if (!session) {
    return (
      <nav aria-label="Main">
        <ul>
          <li>
            <NavLink to="/sign-in">Sign in</NavLink>
          </li>
          <li>
            <NavLink to="/sign-up">Sign up</NavLink>
          </li>
        </ul>
      </nav>
    );
  }
  const admin = atLeast(session.role, "admin");
  return (
    <nav aria-label="Main">
      <ul>
        <li>
          <NavLink to="/" end>
            Overview
          </NavLink>
        </li>
        <li>
          <NavLink to="/projects">Projects</NavLink>
        </li>
        <li>
          <NavLink to="/members">Members</NavLink>
        </li>
        {admin && (
          <li>
            <NavLink to="/invitations">Invitations</NavLink>
          </li>
        )}
        {admin && (
          <li>
            <NavLink to="/api-keys">API keys</NavLink>
          </li>
        )}
        <li>
          <NavLink to="/billing">Billing</NavLink>
        </li>
        {admin && (
          <li>
            <NavLink to="/audit-log">Audit log</NavLink>
          </li>
        )}
        <li>
          <NavLink to="/settings">Settings</NavLink>
        </li>
        <li>
          <NavLink to="/account/security">Your account</NavLink>
        </li>
        <li>
          <button
            type="button"
            className="link-button"
            onClick={async () => {
              await end();
              navigate("/sign-in");
            }}
          >
            Sign out
          </button>
        </li>
      </ul>
    </nav>
  );
}

/** Skip link, header with navigation, the page in <main>, footer: the landmarks. */
export function Layout() {
  return (
    <>
      <a className="skip-link" href="#content">
        Skip to content
      </a>
      <header className="site-header">
        <Link to="/" className="brand">
          Oryn console
        </Link>
        <Navigation />
      </header>
      <main id="content">
        <Outlet />
      </main>
      <footer className="site-footer">
        <a href="/docs">API reference</a> · <Link to="/operator">Operators</Link>
      </footer>
    </>
  );
}
