import { PageTitle } from "../components.tsx";
import { useResource } from "../resource.ts";
import { api } from "../session.tsx";
import { Sessions, TwoFactor } from "./mfa.tsx";
import { Profile } from "./profile.tsx";

/** The signed-in person's own account: profile and password, sessions, two-factor sign-in. */
export function AccountSecurityPage() {
  const me = useResource(() => api.GET("/v1/me"), "");
  return (
    <section>
      <PageTitle>Sign-in and security</PageTitle>
      <Profile />
      <Sessions />
      {me.data && <TwoFactor enabled={me.data.mfa.totp} onChange={me.reload} />}
    </section>
  );
}
