import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair } from "jose";
import Provider, { type Configuration } from "oidc-provider";

/** A person the test IdP signs in: their claims, as an IdP would release them. */
export type IdpAccount = {
  email: string;
  email_verified: boolean;
  name?: string;
  groups?: string[];
};

export type TestIdp = {
  /** The IdP's issuer URL (http://127.0.0.1:port, or what `issuer` said). */
  issuer: string;
  /** Where it listens (differs from `issuer` only for an IdP that claims another's name). */
  url: string;
  /** People by account id; the next sign-in is as `signInAs`. */
  accounts: Map<string, IdpAccount>;
  signInAs: string;
  /** Every path requested, in order (to see whether something reached the IdP at all). */
  requests: string[];
  close(): Promise<void>;
};

/**
 * A real OpenID provider (panva's oidc-provider, certified) on a free port, with confidential
 * clients registered for `redirectUri`. Its login and consent are finished by a small handler of
 * ours at /interaction/:uid, signing in `signInAs` at once: the browser (the test's cookie-keeping
 * client) goes through the provider's real authorization, cookies and redirects.
 */
export async function startTestIdp(options: {
  clients: { clientId: string; clientSecret: string; redirectUri: string }[];
  /** An issuer name other than the IdP's own URL: a provider claiming to be someone else. */
  issuer?: string;
}): Promise<TestIdp> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const accounts = new Map<string, IdpAccount>();
  const idp: TestIdp = {
    issuer: options.issuer ?? url,
    url,
    accounts,
    signInAs: "",
    requests: [],
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  // Its own signing key (RS256, what IdPs sign ID tokens with by default), not the quick-start one.
  const { privateKey } = await generateKeyPair("RS256", { extractable: true });
  const configuration: Configuration = {
    jwks: {
      keys: [{ ...(await exportJWK(privateKey)), kid: "test-idp", use: "sig", alg: "RS256" }],
    },
    clients: options.clients.map((client) => ({
      client_id: client.clientId,
      client_secret: client.clientSecret,
      redirect_uris: [client.redirectUri],
      response_types: ["code"],
      grant_types: ["authorization_code"],
      token_endpoint_auth_method: "client_secret_basic",
    })),
    claims: {
      openid: ["sub"],
      email: ["email", "email_verified"],
      profile: ["name", "groups"],
    },
    findAccount: (_ctx, id) => {
      const account = accounts.get(id);
      if (!account) return undefined;
      return { accountId: id, claims: () => ({ sub: id, ...account }) };
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    features: { devInteractions: { enabled: false } },
    cookies: { keys: ["a cookie key of the test IdP"] },
    pkce: { required: () => true },
    // Fixed lifetimes, so the provider does not ask for its defaults to be reviewed.
    ttl: {
      Interaction: 600,
      Session: 3600,
      Grant: 3600,
      AccessToken: 600,
      AuthorizationCode: 60,
      IdToken: 600,
    },
  };
  const provider = new Provider(idp.issuer, configuration);
  provider.on("server_error", (_ctx, error) => console.error("test IdP error", error));
  const callback = provider.callback();

  async function interaction(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const details = await provider.interactionDetails(req, res);
    if (details.prompt.name === "login") {
      await provider.interactionFinished(
        req,
        res,
        { login: { accountId: idp.signInAs } },
        { mergeWithLastSubmission: false },
      );
      return;
    }
    const accountId = details.session?.accountId ?? idp.signInAs;
    const grant = new provider.Grant({ accountId, clientId: String(details.params.client_id) });
    grant.addOIDCScope(String(details.params.scope ?? "openid"));
    const missingClaims = details.prompt.details.missingOIDCClaims;
    if (Array.isArray(missingClaims)) grant.addOIDCClaims(missingClaims as string[]);
    const grantId = await grant.save();
    await provider.interactionFinished(
      req,
      res,
      { consent: { grantId } },
      { mergeWithLastSubmission: true },
    );
  }

  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    idp.requests.push(req.url ?? "");
    if (req.url?.startsWith("/interaction/")) {
      interaction(req, res).catch((error: unknown) => {
        res.statusCode = 500;
        res.end(String(error));
      });
      return;
    }
    callback(req, res);
  });
  return idp;
}

/**
 * A browser enough for sign-in: keeps cookies per origin and follows redirects by hand, until
 * `stop` says a URL is not to be requested (the app's page, or a callback a test tampers with).
 */
export function cookieBrowser() {
  const jar = new Map<string, Map<string, string>>();
  return {
    async follow(start: string, stop: (url: URL) => boolean, maxHops = 20): Promise<URL> {
      let url = new URL(start);
      for (let hop = 0; hop < maxHops; hop++) {
        if (stop(url)) return url;
        const cookies = jar.get(url.origin) ?? new Map<string, string>();
        const answer = await fetch(url, {
          redirect: "manual",
          headers: { cookie: [...cookies].map(([name, value]) => `${name}=${value}`).join("; ") },
        });
        for (const line of answer.headers.getSetCookie()) {
          const [pair] = line.split(";");
          const at = pair?.indexOf("=") ?? -1;
          if (!pair || at < 0) continue;
          cookies.set(pair.slice(0, at).trim(), pair.slice(at + 1).trim());
        }
        jar.set(url.origin, cookies);
        const location = answer.headers.get("location");
        await answer.body?.cancel();
        if (!location || answer.status < 300 || answer.status >= 400) {
          throw new BrowserStopped(url, answer.status);
        }
        url = new URL(location, url);
      }
      throw new Error(`more than ${maxHops} redirects from ${start}`);
    },
  };
}

/** The browser met an answer that is not a redirect (a problem, an IdP's error page). */
export class BrowserStopped extends Error {
  readonly url: URL;
  readonly status: number;
  constructor(url: URL, status: number) {
    super(`${url.href} answered ${status}, not a redirect`);
    this.name = "BrowserStopped";
    this.url = url;
    this.status = status;
  }
}
