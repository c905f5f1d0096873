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

type NavItem = { to: string; label: string; end?: boolean; hidden?: boolean };

/** A navigation landmark: its links in order (a `hidden` one is left out), then `children`. */
export function NavList(props: { label: string; items: NavItem[]; children?: ReactNode }) {
  return (
    <nav aria-label={props.label}>
      <ul>
        {props.items
          .filter((item) => !item.hidden)
          .map((item) => (
            <li key={item.to}>
              <NavLink to={item.to} end={item.end}>
                {item.label}
              </NavLink>
            </li>
          ))}
        {props.children}
      </ul>
    </nav>
  );
}

function Navigation() {
  const { session, end } = useSession();
  if (!session) {
    return (
      <NavList
        label="Main"
        items={[
          { to: "/sign-in", label: "Sign in" },
          { to: "/sign-up", label: "Sign up" },
        ]}
      />
    );
  }
  const notAdmin = !atLeast(session.role, "admin");
  return (
    <NavList
      label="Main"
      items={[
        { to: "/", label: "Overview", end: true },
        { to: "/projects", label: "Projects" },
        { to: "/members", label: "Members" },
        { to: "/invitations", label: "Invitations", hidden: notAdmin },
        { to: "/api-keys", label: "API keys", hidden: notAdmin },
        { to: "/billing", label: "Billing" },
        { to: "/audit-log", label: "Audit log", hidden: notAdmin },
        { to: "/settings", label: "Settings" },
        { to: "/account/security", label: "Your account" },
      ]}
    >
      <li>
        <SignOutButton end={end} signIn="/sign-in" />
      </li>
    </NavList>
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
