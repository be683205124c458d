/**
 * Input a careless or hostile client sends, as fast-check arbitraries: JSON values of the wrong
 * type or out of range, text PostgreSQL cannot store, odd dates, deep nesting, numbers JSON can
 * write but JavaScript cannot hold; URL text with bad percent-encoding; bodies that are not JSON.
 * JSON values are written with `jsonText`, which can also place raw text (`rawJson`) a JS value
 * cannot produce, such as `1e400` or nesting 10,000 deep.
 */
import fc from "fast-check";

const RAW = Symbol("raw JSON text");

/** A value `jsonText` writes as `text`, verbatim. */
export interface RawJson {
  [RAW]: string;
}

export function rawJson(text: string): RawJson {
  return { [RAW]: text };
}

function isRawJson(value: unknown): value is RawJson {
  return typeof value === "object" && value !== null && RAW in value;
}

/** JSON text of `value`, with each `rawJson` written as its text. */
export function jsonText(value: unknown): string {
  const raws: string[] = [];
  const text = JSON.stringify(value, (_key, inner: unknown) => {
    if (!isRawJson(inner)) return inner;
    raws.push(inner[RAW]);
    return `\u0001raw${raws.length - 1}\u0001`;
  });
  return (text ?? "null").replace(/"\\u0001raw(\d+)\\u0001"/g, (_, index: string) => {
    return raws[Number(index)] as string;
  });
}

/** A cursor as paged lists encode it, holding any date and id. */
export const cursorOf = (at: unknown, id: unknown) =>
  Buffer.from(JSON.stringify([at, id])).toString("base64url");

export const nestedArrays = (depth: number) => "[".repeat(depth) + "]".repeat(depth);

export const oddDates = [
  "0000-01-01T00:00:00+01:00",
  "9999-12-31T23:59:59-14:00",
  "2026-02-30T00:00:00Z",
  "2025-02-29T12:00:00Z",
  "2026-01-01T24:00:00Z",
  "2026-13-01T00:00:00Z",
  "2026-01-01T00:00:60Z",
  "2026-01-01T00:00:00+24:00",
  "+275760-09-13T00:00:00Z",
  "-000001-01-01T00:00:00Z",
  "0001-01-01T00:00:00Z",
  "9999-12-31T23:59:59.999999999Z",
  "1970-01-01T00:00:00Z",
  "2026-01-01",
  "2026-01-01T00:00:00",
  "yesterday",
];

/** Cursors no page gave: impossible or out-of-range dates, ids out of range. */
export const brokenCursors = [
  cursorOf("2026-02-30T00:00:00.000000Z", 1),
  cursorOf("2026-04-31T12:00:00.000000Z", 1),
  cursorOf("2026-01-01T24:00:00.000000Z", 1),
  cursorOf("0000-01-01T00:00:00.000000Z", 1),
  cursorOf("9999-12-31T23:59:59.999999Z", 1),
  cursorOf("2026-01-01T00:00:00.000000Z", 2 ** 63),
  cursorOf("2026-01-01T00:00:00.000000Z", Number.MAX_SAFE_INTEGER),
  cursorOf("2026-01-01T00:00:00.000000Z", 1.5),
  cursorOf("2026-01-01T00:00:00.000000Z", "1"),
  cursorOf(null, null),
];

const hostileStrings = [
  "",
  " ",
  "\u0000",
  "a\u0000b",
  "\ud800",
  "x\udfff",
  "\ufeff",
  "\u202e",
  "null",
  "NaN",
  "-0",
  "1e400",
  "9007199254740993",
  "../../etc/passwd",
  "' or 1=1 --",
  "%00",
  ...oddDates,
];

/** A JSON value a field should not accept (or should accept with care). */
export const hostileJsonValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(
    null,
    true,
    false,
    0,
    -1,
    1.5,
    -1e308,
    1e308,
    2 ** 53 + 2,
    Number.MIN_VALUE,
    [],
    {},
    [null],
    { "": null },
    ...hostileStrings,
  ),
  fc.constantFrom(
    rawJson("1e400"),
    rawJson("-1e400"),
    rawJson("123456789012345678901234567890"),
    rawJson("1.0000000000000000000000001"),
    rawJson("-0"),
    rawJson(nestedArrays(10_000)),
    rawJson(`{"a":${nestedArrays(100)}}`),
  ),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.string({ minLength: 5000, maxLength: 20_000, unit: "binary-ascii" }),
  fc.double(),
  fc.integer(),
  fc.jsonValue({ maxDepth: 3 }),
);

/** Writes text for a URL path segment or query value as a sloppy client would: lone surrogates as their raw UTF-8-like bytes. */
export function looselyEncoded(text: string): string {
  let encoded = "";
  for (const char of text) {
    const code = char.codePointAt(0) as number;
    if (code >= 0xd800 && code <= 0xdfff) {
      encoded += [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)]
        .map((byte) => `%${byte.toString(16).toUpperCase()}`)
        .join("");
    } else {
      encoded += encodeURIComponent(char);
    }
  }
  return encoded;
}

/** Text for a path parameter or query value, already URL-encoded. */
export const hostileUrlText: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    "%00",
    "%ED%A0%80",
    "%FF",
    "%",
    "%zz",
    "..",
    "%2E%2E",
    "%2F",
    "a%2Fb",
    "0",
    "-1",
    "1.5",
    "1e400",
    "9007199254740993",
    "99999999999999999999999",
    "NaN",
    "Infinity",
    "true",
    "%5B%5D",
    "%7B%7D",
    "a".repeat(5000),
    ...brokenCursors,
  ),
  fc.constantFrom(...hostileStrings, ...oddDates).map(looselyEncoded),
  fc.string({ unit: "binary", maxLength: 30 }).map(looselyEncoded),
  fc.integer().map(String),
);

/** A request body that is not the JSON a route expects, as text or bytes. */
export const hostileRawBody: fc.Arbitrary<string | Uint8Array> = fc.oneof(
  fc.constantFrom<string | Uint8Array>(
    "",
    " ",
    "null",
    "[]",
    "{}",
    "{",
    '{"a":1,"a":2}',
    "\ufeff{}",
    "\u0000",
    '"\\u0000"',
    "1e400",
    nestedArrays(10_000),
    `{"payload":${'{"a":'.repeat(5000)}1${"}".repeat(5000)}}`,
    new Uint8Array([0xff, 0xfe, 0x7b, 0x7d]),
    new Uint8Array([0x7b, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x3a, 0x31, 0x7d]),
  ),
  fc.string({ unit: "binary", maxLength: 60 }),
);

/** Content types a JSON route may be sent. */
export const oddContentType = fc.constantFrom(
  undefined,
  "text/plain",
  "application/x-www-form-urlencoded",
  "application/json; charset=latin1",
  "application/vnd.api+json",
  "APPLICATION/JSON",
);

/**
 * A hostile value with alternatives for fields whose name says what they hold (`isNamedField`):
 * when `byName`, `forField` gives an odd date to a timestamp (`run_at`, `created_after`, …) and
 * a broken cursor to `cursor`, and a mutation aims at such a field if there is one; otherwise
 * the generic value.
 */
export interface HostileChoice<T> {
  generic: T;
  date: T;
  cursor: T;
  byName: boolean;
}

const TIMESTAMP_NAME = /(^|_)(at|time|after|before)$/;

export function isNamedField(field: string | number | undefined): boolean {
  return typeof field === "string" && (TIMESTAMP_NAME.test(field) || field === "cursor");
}

export function forField<T>(choice: HostileChoice<T>, field: string | number | undefined): T {
  if (choice.byName && typeof field === "string") {
    if (TIMESTAMP_NAME.test(field)) return choice.date;
    if (field === "cursor") return choice.cursor;
  }
  return choice.generic;
}

export const hostileJsonChoice: fc.Arbitrary<HostileChoice<unknown>> = fc.record({
  generic: hostileJsonValue,
  date: fc.constantFrom<unknown>(...oddDates),
  cursor: fc.constantFrom<unknown>(...brokenCursors),
  byName: fc.boolean(),
});

export const hostileUrlChoice: fc.Arbitrary<HostileChoice<string>> = fc.record({
  generic: hostileUrlText,
  date: fc.constantFrom(...oddDates).map(looselyEncoded),
  cursor: fc.constantFrom(...brokenCursors),
  byName: fc.boolean(),
});
