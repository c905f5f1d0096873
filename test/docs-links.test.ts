import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * What the documentation points at must be in the repository: every Markdown link (and its
 * `#anchor`), every path the docs name in code spans, and every `*.md` a source file cites. A
 * page moved or renamed, a heading reworded or a file cited from outside the repository (the
 * code once cited DESIGN.md and API.md, which lived elsewhere) fails here, naming the line.
 */
const root = join(import.meta.dirname, "..");
const tracked = execFileSync("git", ["ls-files"], { cwd: root, encoding: "utf8" })
  .split("\n")
  .filter((file) => file && existsSync(join(root, file)));
const markdown = tracked.filter((file) => file.endsWith(".md"));
const sources = tracked
  .filter(
    (file) =>
      /\.(ts|sql|ya?ml|json|sh)$/.test(file) ||
      /(^|\/)Dockerfile$/.test(file) ||
      file.startsWith(".ci/") ||
      file.startsWith("scripts/"),
  )
  .filter((file) => file !== "test/docs-links.test.ts");
// Written at run time, not committed.
const generatedPrefixes = [".secrets/", "test-results/", "node_modules/", ".exports/", ".mail/"];

describe("the documentation's references", () => {
  it("every Markdown link leads to a file and heading in the repository", () => {
    const broken: string[] = [];
    for (const file of markdown) {
      eachLine(file, (line, where) => {
        for (const [, target = ""] of line.matchAll(/\]\(([^)\s]+)\)/g)) {
          if (/^(https?:|mailto:)/.test(target)) continue;
          const [path = "", anchor] = target.split("#");
          const resolved = path ? join(dirname(file), path) : file;
          if (!existsSync(join(root, resolved))) broken.push(`${where}: ${target} (no such file)`);
          else if (anchor && resolved.endsWith(".md") && !anchorsOf(resolved).has(anchor)) {
            broken.push(`${where}: ${target} (no such heading in ${resolved})`);
          }
        }
      });
    }
    expect(broken).toEqual([]);
  });

  it("every path the docs name in code spans exists", () => {
    const broken: string[] = [];
    const pathSpan = /`((?:\.{0,2}[\w-]+\/)+(?:[\w.-]+\.(?:ts|md|sql|json|ya?ml|sh|js|patch))?)`/g;
    // The patch's README names files inside the patched package.
    const pages = markdown.filter((name) => !name.startsWith("patches/"));
    for (const file of pages) {
      eachLine(file, (line, where) => {
        for (const [, path = ""] of line.matchAll(pathSpan)) {
          if (generatedPrefixes.some((prefix) => path.startsWith(prefix))) continue;
          if (!existsSync(join(root, dirname(file), path)) && !existsSync(join(root, path))) {
            broken.push(`${where}: ${path}`);
          }
        }
      });
    }
    expect(broken).toEqual([]);
  });

  it("every Markdown file the code cites is in the repository", () => {
    const broken: string[] = [];
    for (const file of sources) {
      eachLine(file, (line, where) => {
        for (const match of line.matchAll(/[\w./-]*[\w-]\.md\b/g)) {
          const cited = match[0];
          // A file name in a string is a file the code writes or reads, not a citation.
          if (cited.includes("://") || /["']/.test(line[(match.index ?? 0) - 1] ?? "")) continue;
          if (!existsSync(join(root, cited)) && !existsSync(join(root, dirname(file), cited))) {
            broken.push(`${where}: ${cited}`);
          }
        }
        if (/\.\.\/shared\//.test(line)) broken.push(`${where}: ../shared/ is outside`);
      });
    }
    expect(broken).toEqual([]);
  });
});

/** Calls `visit` with each line outside fenced code blocks, and `file:line` for messages. */
function eachLine(file: string, visit: (line: string, where: string) => void): void {
  let fenced = false;
  readFileSync(join(root, file), "utf8")
    .split("\n")
    .forEach((line, index) => {
      if (file.endsWith(".md") && /^\s*```/.test(line)) fenced = !fenced;
      else if (!fenced) visit(line, `${file}:${index + 1}`);
    });
}

/** The anchors GitHub makes of a page's headings. */
function anchorsOf(file: string): Set<string> {
  const anchors = new Set<string>();
  eachLine(file, (line) => {
    const heading = /^#{1,6}\s+(.*)$/.exec(line)?.[1];
    if (heading === undefined) return;
    anchors.add(
      heading
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, "")
        .replace(/\s/g, "-"),
    );
  });
  return anchors;
}
