import { connect, type Sql } from "@oryn/shared";
import type { Placement } from "./placement.ts";

export type ServerAdmin = { admin: Sql; adminUrl: string };

/**
 * Admin pools per tenant database server. Credentials come from the environment only: the user
 * and password of TENANT_DATABASE_URL, applied to each registered server's host and port (the
 * registry holds no secrets). So every server needs that admin role, with the same password.
 */
export type ServerAdmins = {
  /** null: the TENANT_DATABASE_URL server itself. */
  forPlacement(placement: Placement): ServerAdmin;
  close(): Promise<void>;
};

export function createServerAdmins(options: {
  defaultAdmin: Sql;
  adminUrl: string;
  maxPerServer: number;
}): ServerAdmins {
  const defaultUrl = new URL(options.adminUrl);
  const pools = new Map<string, ServerAdmin>();
  return {
    forPlacement(placement) {
      if (!placement) return { admin: options.defaultAdmin, adminUrl: options.adminUrl };
      const url = new URL(options.adminUrl);
      url.hostname = placement.host;
      url.port = String(placement.port);
      if (url.host === defaultUrl.host)
        return { admin: options.defaultAdmin, adminUrl: options.adminUrl };
      const key = url.host;
      let entry = pools.get(key);
      if (!entry) {
        const adminUrl = url.toString();
        entry = {
          admin: connect(adminUrl, {
            max: options.maxPerServer,
            applicationName: "oryn-provisioner",
          }),
          adminUrl,
        };
        pools.set(key, entry);
      }
      return entry;
    },
    async close() {
      await Promise.all([...pools.values()].map((entry) => entry.admin.end({ timeout: 5 })));
      pools.clear();
    },
  };
}
