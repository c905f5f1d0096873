import fc from "fast-check";

/**
 * The hostile material the fuzz suite draws from: strings that break naive SQL, URL, header and
 * template handling, and text that must round-trip byte for byte.
 */
export const sqlFragments = [
  "' OR '1'='1",
  "'; drop table projects; --",
  '" or ""="',
  "Robert'); DROP TABLE tenants;--",
  "1; select pg_sleep(5)",
  "$1",
  "$$ $tag$ x $tag$",
  "\\x00",
  "E'\\\\'",
  "%' and 1=1 --",
  "oryn_t_00000000; drop database postgres",
];

const trickyText = [
  'O\'Brien "quoted" `backticks`',
  "\\ back\\slash \\n not a newline",
  "😀 👩‍👩‍👧‍👦 🇺🇦 🏳️‍🌈",
  "日本語のテキスト, العربية, עברית",
  "\u202eevil\u202c rtl override",
  "e\u0301 vs é (decomposed and composed)",
  "line\nbreak\ttab\r\n",
  "\u2028\u2029 separators",
  "zero\u200bwidth\u200djoiner",
  // A template placeholder, spelled so that no linter takes it for a mistake.
  "\u0024{template} {{mustache}} %s %n <script>alert(1)</script>",
  "\u{10ffff}\u{1f600}\u{e000}",
  "\u0001\u001f control characters",
  "null",
  "undefined",
];

/** Every Unicode scalar value but NUL, which PostgreSQL text cannot hold (the API refuses it). */
const scalarValue = fc
  .integer({ min: 1, max: 0x10ffff })
  .filter((point) => point < 0xd800 || point > 0xdfff)
  .map((point) => String.fromCodePoint(point));

/** Text a person could type, and text no person would: quotes, SQL, emoji, any plane. */
export const roundTripText = fc.oneof(
  fc.constantFrom(...sqlFragments, ...trickyText),
  fc.string({ unit: "grapheme", minLength: 1, maxLength: 40 }),
  fc.string({ unit: scalarValue, minLength: 1, maxLength: 40 }),
  fc
    .array(fc.constantFrom(...sqlFragments, ...trickyText), { minLength: 2, maxLength: 4 })
    .map((parts) => parts.join(" ")),
);

export const hostileString = fc.oneof(
  fc.constantFrom(
    ...sqlFragments,
    ...trickyText,
    "",
    " ",
    "\u0000",
    "a\u0000b",
    "\ud800 lone surrogate",
    "-1",
    "0",
    "1e309",
    "99999999999999999999999",
    "NaN",
    "true",
    "../../etc/passwd",
    "x".repeat(300),
    "x".repeat(10_001),
  ),
  fc.string({ unit: "binary", maxLength: 60 }),
  fc.string({ unit: "grapheme", maxLength: 60 }),
);

/** A header value: text as its UTF-8 bytes (fetch only sends bytes below 0x100). */
export const headerValue = fc
  .oneof(
    hostileString,
    fc.string({ unit: "binary-ascii", maxLength: 80 }),
    fc.constantFrom("x".repeat(4000), "x".repeat(9000)),
  )
  // Control characters but tab are refused by fetch itself (and Node's HTTP parser), before
  // anything of ours could see them.
  .map((value) =>
    // biome-ignore lint/suspicious/noControlCharactersInRegex: these are the ones removed
    Buffer.from(value.replace(/[\u0000-\u0008\u000a-\u001f\u007f]/g, ""))
      .toString("latin1")
      .trim(),
  );
