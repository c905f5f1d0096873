import { useState } from "react";
import { PageTitle } from "../components.tsx";
import { Sessions, TwoFactor } from "./mfa.tsx";

/** The signed-in person's sessions and two-factor sign-in. */
export function AccountSecurityPage() {
  const [generation, setGeneration] = useState(0);
  return (
    <section>
      <PageTitle>Sign-in and security</PageTitle>
      <Sessions key={generation} />
      <TwoFactor onChange={() => setGeneration((value) => value + 1)} />
    </section>
  );
}
