import { Link, Route, Routes } from "react-router";
import "./operator.css";
import { NavList, Shell, SignOutButton } from "../layout.tsx";
import { NotFoundPage } from "../pages/accounts.tsx";
import { FleetMigrationPage } from "./fleet-migration.tsx";
import {
  OperatorSessionProvider,
  RequireOperator,
  useOperatorSession,
} from "./operator-session.tsx";
import { OperatorSignInPage } from "./operator-sign-in.tsx";
import { ServersPage } from "./servers.tsx";
import { OperatorTenantPage } from "./tenant.tsx";
import { FailedProvisioningPage, OperatorTenantsPage } from "./tenants.tsx";

/**
 * The operators' area, `/operator/...`: the fleet through the operator API, behind the operator
 * token. Its own layout and session, apart from the tenant side's (docs/console.md#operators).
 */
export function OperatorApp() {
  return (
    <OperatorSessionProvider>
      <Routes>
        <Route element={<OperatorLayout />}>
          <Route path="sign-in" element={<OperatorSignInPage />} />
          <Route element={<RequireOperator />}>
            <Route index element={<OperatorTenantsPage />} />
            <Route path="tenants" element={<OperatorTenantsPage />} />
            <Route path="tenants/:tenantId" element={<OperatorTenantPage />} />
            <Route path="failed" element={<FailedProvisioningPage />} />
            <Route path="servers" element={<ServersPage />} />
            <Route path="fleet-migration" element={<FleetMigrationPage />} />
          </Route>
          <Route path="*" element={<NotFoundPage />} />
        </Route>
      </Routes>
    </OperatorSessionProvider>
  );
}

/**
 * The queue board (Bull Board) is on the provisioner's internal port, never the gateway's: this
 * is where `pnpm start` puts it; in production operators reach that address their own way.
 */
function queueBoardUrl(): string {
  return `${window.location.protocol}//${window.location.hostname}:8083/admin/queues`;
}

function OperatorNavigation() {
  const { signedIn, end } = useOperatorSession();
  if (!signedIn) return null;
  return (
    <NavList
      label="Operators"
      items={[
        { to: "/operator/tenants", label: "Tenants" },
        { to: "/operator/failed", label: "Failed provisioning" },
        { to: "/operator/servers", label: "Servers" },
        { to: "/operator/fleet-migration", label: "Fleet migration" },
      ]}
    >
      <li>
        <a href={queueBoardUrl()} target="_blank" rel="noreferrer">
          Queue board<span className="visually-hidden"> (opens in a new tab)</span>
        </a>
      </li>
      <li>
        <SignOutButton end={end} signIn="/operator/sign-in" />
      </li>
    </NavList>
  );
}

function OperatorLayout() {
  return (
    <Shell
      brand="Oryn operators"
      home="/operator"
      headerClass="operator-header"
      navigation={<OperatorNavigation />}
      footer={
        <>
          <Link to="/">Tenant console</Link> · <a href="/docs">API reference</a>
        </>
      }
    />
  );
}
