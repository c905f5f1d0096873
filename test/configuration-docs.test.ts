import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  configurationDocsPath,
  programs,
  renderConfigurationDocs,
} from "../scripts/configuration-docs.ts";

describe("docs/configuration.md", () => {
  it("is what `pnpm docs:config` writes from the settings schemas", async () => {
    // Stale after a setting was added, removed or redescribed: run `pnpm docs:config`.
    expect(readFileSync(configurationDocsPath, "utf8")).toBe(
      renderConfigurationDocs(await programs()),
    );
  });

  it("cannot be written while a setting says nothing of what it is for", () => {
    const schema = z.object({
      DOCUMENTED: z.string().default("x").describe("Said."),
      SILENT: z.coerce.number().default(1),
    });
    expect(() =>
      renderConfigurationDocs([{ name: "example", source: "example/env.ts", schema }]),
    ).toThrow(/SILENT in example\/env.ts/);
  });

  it("lists a setting once when programs read it alike, under each program otherwise", () => {
    const shared = z.string().default("a").describe("Alike.");
    const page = renderConfigurationDocs([
      {
        name: "one",
        source: "one.ts",
        schema: z.object({ SHARED: shared, PORT: z.coerce.number().default(1).describe("Port.") }),
      },
      {
        name: "two",
        source: "two.ts",
        schema: z.object({ SHARED: shared, PORT: z.coerce.number().default(2).describe("Port.") }),
      },
    ]);
    expect(page.match(/`SHARED`/g)).toHaveLength(1);
    expect(page).toContain("| `SHARED` | `a` | all | Alike. |");
    expect(page).toMatch(/## one[\s\S]*\| `PORT` \| `1` \|[\s\S]*## two[\s\S]*\| `PORT` \| `2` \|/);
  });
});
