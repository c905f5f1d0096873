import type { ReactNode } from "react";
import { Link, Navigate, NavLink, Outlet, useLocation, useNavigate } from "react-router";
import { Busy } from "./components.tsx";
import { atLeast, useSession } from "./session.tsx";

/** Pages for signed-in people: sends anyone else to sign in, and back here afterwards. */
export function RequireSession() {
  const { session, restoring } = useSession();
  const location = useLocation();
  // After a reload the cookie may still hold a session: ask before sending anyone to sign in.
  if (!session && restoring) return <Busy label="Restoring your session…" />;
  if (!session) {
    const next = `${location.pathname}${location.search}`;
    return <Navigate to={`/sign-in?next=${encodeURIComponent(next)}`} replace />;
  }
  return <Outlet />;
}

function Navigation() {
  const { session, end } = useSession();
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
          <SignOutButton end={end} signIn="/sign-in" />
        </li>
      </ul>
    </nav>
  );
}

/**
 * What both areas' pages sit in: a skip link, the header with the brand and the navigation, the
 * page in <main>, the footer. The landmarks every page needs, written once.
 */
export function Shell({
  brand,
  home,
  headerClass = "",
  navigation,
  footer,
}: {
  brand: string;
  home: string;
  headerClass?: string;
  navigation: ReactNode;
  footer: ReactNode;
}) {
  return (
    <>
      <a className="skip-link" href="#content">
        Skip to content
      </a>
      <header className={`site-header ${headerClass}`.trim()}>
        <Link to={home} className="brand">
          {brand}
        </Link>
        {navigation}
      </header>
      <main id="content">
        <Outlet />
      </main>
      <footer className="site-footer">{footer}</footer>
    </>
  );
}

/** The navigation's last item: ends the session (`end`), then goes to `signIn`. */
export function SignOutButton({ end, signIn }: { end(): void | Promise<void>; signIn: string }) {
  const navigate = useNavigate();
  return (
    <button
      type="button"
      className="link-button"
      onClick={async () => {
        await end();
        navigate(signIn);
      }}
    >
      Sign out
    </button>
  );
}

/** The tenant console's shell. */
export function Layout() {
  return (
    <Shell
      brand="Oryn console"
      home="/"
      navigation={<Navigation />}
      footer={
        <>
          <a href="/docs">API reference</a> · <Link to="/operator">Operators</Link>
        </>
      }
    />
  );
}
