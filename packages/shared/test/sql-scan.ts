import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";

/**
 * What the table-queries and table-access tests read source with: the control-plane tables'
 * names (from schema.ts, which `pnpm db:types` writes from the migrated database) and the SQL
 * statements a piece of TypeScript source holds that name them. One copy, so the two tests hold
 * the same idea of what a statement on a table is.
 */
export const root = join(import.meta.dirname, "../../..");

const schemaText = readFileSync(join(root, "packages/shared/src/control-plane/schema.ts"), "utf8");
const rowTypes = schemaText.split("export const grants")[0] ?? "";

/** Every control-plane table. */
export const tableNames: readonly string[] = [...rowTypes.matchAll(/^ {2}(\w+): \{$/gm)].map(
  (m) => m[1] ?? "",
);

/** The control-plane tables with a `tenant_id` column. */
export const tenantScoped: readonly string[] = [
  ...rowTypes.matchAll(/^ {2}(\w+): \{\n((?: {4}.*\n)*?) {2}\};/gm),
]
  .filter((m) => /^ {4}tenantId: /m.test(m[2] ?? ""))
  .map((m) => m[1] ?? "");

/**
 * Source with its comments blanked (each character a space, newlines kept, so offsets and line
 * numbers still hold), and where its string and template literals are, `[start, end)` with the
 * quotes. Strings, templates (and the `${}` code in them, nested templates too) and regular
 * expression literals are read as such, so a `//` in a URL or a regex is not taken for a comment.
 */
export function parseSource(source: string): { code: string; literals: Array<[number, number]> } {
  const code = source.split("");
  const literals: Array<[number, number]> = [];
  // What encloses the current position: a template (its start), a `${` in one, or a `{`.
  const stack: Array<{ kind: "template"; start: number } | { kind: "expr" | "brace" }> = [];
  let previous = ""; // the last significant character of code: a `/` after an operand divides
  const blank = (from: number, to: number) => {
    for (let j = from; j < to; j++) if (code[j] !== "\n") code[j] = " ";
  };
  let i = 0;
  while (i < source.length) {
    const c = source[i] ?? "";
    const next = source[i + 1] ?? "";
    const top = stack[stack.length - 1];
    if (top?.kind === "template") {
      if (c === "\\") i += 2;
      else if (c === "`") {
        stack.pop();
        literals.push([top.start, i + 1]);
        previous = "`";
        i++;
      } else if (c === "$" && next === "{") {
        stack.push({ kind: "expr" });
        previous = "{";
        i += 2;
      } else i++;
      continue;
    }
    if (c === "/" && next === "/") {
      const end = source.indexOf("\n", i);
      const to = end === -1 ? source.length : end;
      blank(i, to);
      i = to;
    } else if (c === "/" && next === "*") {
      const end = source.indexOf("*/", i + 2);
      const to = end === -1 ? source.length : end + 2;
      blank(i, to);
      i = to;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < source.length && source[j] !== c && source[j] !== "\n")
        j += source[j] === "\\" ? 2 : 1;
      literals.push([i, j + 1]);
      previous = c;
      i = j + 1;
    } else if (c === "`") {
      stack.push({ kind: "template", start: i });
      i++;
    } else if (c === "/" && startsRegex(previous, source.slice(Math.max(0, i - 12), i))) {
      // A regular expression literal: to its closing `/`, a `/` in a class `[...]` apart.
      let j = i + 1;
      let inClass = false;
      while (j < source.length && source[j] !== "\n" && (inClass || source[j] !== "/")) {
        if (source[j] === "\\") j++;
        else if (source[j] === "[") inClass = true;
        else if (source[j] === "]") inClass = false;
        j++;
      }
      previous = "/";
      i = j + 1;
    } else {
      if (c === "{") stack.push({ kind: "brace" });
      else if (c === "}") stack.pop();
      if (!/\s/.test(c)) previous = c;
      i++;
    }
  }
  return { code: code.join(""), literals };
}

/** Whether a `/` after `previous` (the code before it, `before`) opens a regular expression. */
function startsRegex(previous: string, before: string): boolean {
  if (previous === "" || "(,=:[!&|?{};+-*%<>~^".includes(previous)) return true;
  const word = /(\w+)\s*$/.exec(before)?.[1];
  return (
    word !== undefined && /^(?:return|typeof|case|do|else|in|of|void|yield|await|throw)$/.test(word)
  );
}

/** Source with its comments blanked, as `parseSource` reads it. */
export function stripComments(source: string): string {
  return parseSource(source).code;
}

/** A control-plane table named by a statement: what the statement does to it, and where. */
export type Statement = {
  file: string;
  /** The line of the keyword (`from`, `update`…) naming the table. */
  line: number;
  table: string;
  /** Inserted into, updated, deleted from or truncated; otherwise read. */
  writes: boolean;
  /** The whole literal the table is named in (the statement), quotes off, spaces collapsed. */
  statement: string;
};

const verbs = "delete\\s+from|truncate(?:\\s+table)?|into|update|from|join|using";
const keyword = new RegExp(`\\b(${verbs})\\s+(?:only\\s+)?([a-z_][a-z0-9_]*)\\b`, "gi");

/**
 * The statements in a source naming a control-plane table as what they read or change: read
 * over the source's code, comments left out, case aside, a keyword and its table on one line or
 * two. A table named in no literal (SQL outside a string) is reported with its line as the
 * statement.
 */
export function statements(file: string, source: string): Statement[] {
  const { code, literals } = parseSource(source);
  const found: Statement[] = [];
  for (const match of code.matchAll(keyword)) {
    const table = (match[2] ?? "").toLowerCase();
    if (!tableNames.includes(table)) continue;
    const at = match.index;
    const verb = (match[1] ?? "").toLowerCase();
    // The innermost literal holding the keyword: a fragment's own template, not its caller's.
    const literal = literals
      .filter(([start, end]) => start <= at && at < end)
      .sort((a, b) => b[0] - a[0])[0];
    const lineStart = code.lastIndexOf("\n", at) + 1;
    const lineEnd = code.indexOf("\n", at);
    const text = literal
      ? code.slice(literal[0] + 1, literal[1] - 1)
      : code.slice(lineStart, lineEnd === -1 ? code.length : lineEnd);
    found.push({
      file,
      line: code.slice(0, at).split("\n").length,
      table,
      writes: !verb.startsWith("from") && verb !== "join" && verb !== "using",
      statement: text.replace(/\s+/g, " ").trim(),
    });
  }
  return found;
}

/** The control-plane tables a piece of source names in SQL. */
export function tablesNamed(source: string): Set<string> {
  return new Set(statements("", source).map((s) => s.table));
}

/** The `.ts` files under a folder (from the root), as paths from the root. */
export function sourceFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".ts"))
    .map((entry) => relative(root, join(entry.parentPath, entry.name)));
}
