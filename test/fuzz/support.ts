// Shared by the fuzz suites: fast-check generators for hostile input (wrong types, 100 KB strings,
// lone surrogates, RTL marks, NUL, bad UUIDs, prototype-pollution keys nested anywhere), a JSON
// writer that keeps `__proto__` as an ordinary key, the FusionAuth response contract every answer
// must meet, and probes of stored state. Requests go through `app.request`, which does not slow
// down as a file sends more (`exports.default.fetch` does).
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { afterAll, afterEach, beforeAll, expect, vi } from "vitest";
import app from "../../src/index";
import { newTotpSecret } from "../../src/crypto/random";
import { loginIdName } from "../../src/crypto/login-id-name";
import { openApiDocument } from "../../src/routes/http/openapi-document";
import { API_KEY } from "../helpers";
import { kvKeys } from "../storage";

/** Fixed so a failure replays; fast-check prints the seed and the shrunk counterexample. */
export const SEED = 20_260_425;

/** fc.assert options: a fixed seed, and shrinking cut short so a failing property still ends in seconds. */
export const runs = (numRuns: number) => ({ numRuns, seed: SEED, interruptAfterTimeLimit: 8_000 });

// ---- Strings ----

const SPECIAL_UNITS = [
  "\u0000",
  "\u0001",
  "\u001f",
  "\u007f",
  "\u202e",
  "\u200f",
  "\u061c",
  "\u2066",
  "\ufeff",
  "\uffff",
  "\u2028",
  "\u0301",
  "'",
  '"',
  "\\",
  "/",
  ".",
  "%",
  "<",
  "@",
  " ",
  "\t",
  "\n",
  "中",
  "😀",
  "ﷺ",
  "İ",
  "ı",
  "ß",
  "\u05d0",
];
const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code));
const unit = fc.oneof(
  { arbitrary: fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 1 }), weight: 4 },
  { arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 1 }), weight: 2 },
  { arbitrary: fc.constantFrom(...SPECIAL_UNITS), weight: 2 },
  { arbitrary: loneSurrogate, weight: 1 },
);

/** Text without whitespace or `@`, up to `maxLength` units (CJK, emoji, RTL, NUL, lone surrogates), the longest at the limit. */
export const identifierText = (maxLength: number) =>
  fc.oneof(
    fc.string({ unit: fc.oneof(fc.constantFrom("中", "😀", "ß", "\u05d0", "\u202e", "\u0000", "a", "-"), loneSurrogate), minLength: 1, maxLength }),
    fc.constantFrom("中".repeat(maxLength), "😀".repeat(Math.floor(maxLength / 2)), "a".repeat(maxLength)),
  );

/** Short strings of any code points, including lone surrogates, bidi controls and NUL. */
export const hostileShortString = fc.string({ unit, maxLength: 24 });

const HUGE = 100_000;
/** 100 KB strings (in UTF-16 code units): ASCII, CJK, emoji, lone surrogates, NUL, RTL marks. */
export const hugeString = fc.constantFrom(
  "x".repeat(HUGE),
  "中".repeat(HUGE),
  "😀".repeat(HUGE / 2),
  "\ud800".repeat(HUGE / 4),
  "\u0000".repeat(HUGE / 8),
  "\u202e".repeat(HUGE / 4),
  `${"a".repeat(HUGE)}@example.com`,
);

/** Strings that look like UUIDs but are not, and UUIDs nobody has. */
export const badUuid = fc.oneof(
  fc.constantFrom(
    "",
    "not-a-uuid",
    "00000000-0000-0000-0000-00000000000",
    "00000000-0000-0000-0000-0000000000000",
    "zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz",
    "{00000000-0000-0000-0000-000000000000}",
    "00000000000000000000000000000000",
    "../../etc/passwd",
    " 00000000-0000-0000-0000-000000000000",
    "00000000-0000-0000-0000-000000000000\u0000",
    "\u202e00000000-0000-0000-0000-000000000000",
  ),
  fc.tuple(fc.uuid(), fc.nat(35), fc.oneof(hostileShortString, loneSurrogate)).map(([id, at, junk]) => id.slice(0, at) + junk + id.slice(at + 1)),
  fc.uuid(),
);

/** Any hostile string: short, huge (rarely, they are slow), or a broken UUID. */
export const hostileString = fc.oneof({ arbitrary: hostileShortString, weight: 6 }, { arbitrary: badUuid, weight: 2 }, { arbitrary: hugeString, weight: 1 });

// ---- JSON values with ordinary `__proto__` keys ----

/** A JSON object as its list of entries, so keys like `__proto__` stay plain data until serialised. */
export class Entries {
  constructor(readonly entries: Array<[string, JsonTree]>) {}
}
export type JsonTree = null | boolean | number | string | JsonTree[] | Entries;

const pollutionPayload: fc.Arbitrary<JsonTree> = fc.constantFrom(
  new Entries([["polluted", "yes"]]),
  new Entries([["prototype", new Entries([["polluted", "yes"]])]]),
  new Entries([
    ["toString", "polluted"],
    ["polluted", true],
  ]),
);
const objectKey = fc.oneof(
  { arbitrary: fc.constant("__proto__"), weight: 1 },
  { arbitrary: fc.constantFrom("constructor", "prototype"), weight: 2 },
  { arbitrary: fc.constantFrom("polluted", "hasOwnProperty", "toString", "valueOf", "user", "users", "twilio", "data"), weight: 2 },
  { arbitrary: hostileShortString, weight: 5 },
);
const number = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(0, -0, 1e308, -1e308, 2 ** 53 + 1, 1e-320, 4_294_967_296, 100_001),
);

const { tree, object } = fc.letrec<{ tree: JsonTree; leaf: JsonTree; array: JsonTree[]; object: Entries }>((tie) => ({
  tree: fc.oneof({ maxDepth: 4, depthIdentifier: "json" }, tie("leaf"), tie("array"), tie("object")),
  leaf: fc.oneof(fc.constant(null), fc.boolean(), number, hostileString),
  array: fc.array(tie("tree"), { maxLength: 4, depthIdentifier: "json" }),
  object: fc
    .array(fc.tuple(objectKey, fc.oneof(tie("tree"), pollutionPayload)), { maxLength: 5, depthIdentifier: "json" })
    .map((entries) => new Entries(entries)),
}));

/** Any JSON value, hostile strings and prototype keys included. */
export const hostileValue: fc.Arbitrary<JsonTree> = tree;
/** A JSON object of hostile values. */
export const hostileObject: fc.Arbitrary<Entries> = object;

/** JSON text of a tree; `JSON.stringify` escapes lone surrogates, which the Worker's JSON.parse restores. */
export function toJson(value: JsonTree): string {
  if (value instanceof Entries) return `{${value.entries.map(([key, item]) => `${JSON.stringify(key)}:${toJson(item)}`).join(",")}}`;
  if (Array.isArray(value)) return `[${value.map(toJson).join(",")}]`;
  return JSON.stringify(value);
}

// ---- Bodies shaped like an endpoint's ----

/** An endpoint's body: field → plausible (mostly valid) values, or a nested shape. */
export type Shape = { [field: string]: fc.Arbitrary<JsonTree> | Shape };

const isArbitrary = (value: unknown): value is fc.Arbitrary<JsonTree> => value instanceof fc.Arbitrary;

/**
 * Objects with the shape's fields, each present or not with a plausible value, then up to two fields
 * replaced by hostile values and up to two stray keys (prototype keys among them) put anywhere, at
 * every level. Mostly valid bodies get past validation, so the hostile part reaches storage.
 */
export function shaped(shape: Shape): fc.Arbitrary<Entries> {
  const names = Object.keys(shape);
  const plausible = names.map((name) => {
    const spec = shape[name]!;
    return fc.option(isArbitrary(spec) ? spec : shaped(spec), { freq: 5, nil: undefined });
  });
  const replacement = fc.tuple(fc.nat(Math.max(0, names.length - 1)), hostileValue);
  const replacements = names.length
    ? fc.constantFrom(0, 0, 0, 1, 1, 2).chain((count) => fc.array(replacement, { minLength: count, maxLength: count }))
    : fc.constant([]);
  const strays = fc.oneof(
    { arbitrary: fc.constant([]), weight: 3 },
    { arbitrary: fc.array(fc.tuple(objectKey, fc.oneof(hostileValue, pollutionPayload)), { minLength: 1, maxLength: 2 }), weight: 1 },
  );
  return fc.tuple(fc.tuple(...plausible), replacements, strays, fc.nat()).map(([values, replaced, extra, at]) => {
    const fields = new Map(names.map((name, index) => [name, values[index]]));
    for (const [index, value] of replaced) fields.set(names[index]!, value);
    const entries = [...fields].filter((entry): entry is [string, JsonTree] => entry[1] !== undefined);
    entries.splice(at % (entries.length + 1), 0, ...extra);
    return new Entries(entries);
  });
}

// ---- The User object (shared by the User and Import APIs) ----

const SECRET = newTotpSecret().secret;
let emails = 0;
/** A fresh, valid email every time (not shrinkable, which is fine for a unique marker). */
export const freshEmail = fc.constant(null).map(() => `fuzz-${++emails}-${crypto.randomUUID().slice(0, 8)}@example.com`);

/**
 * The writable User fields with valid values, ordinary and exotic (CJK, emoji, RTL, NUL, lone
 * surrogates, maximum lengths); `shaped` swaps some for hostile ones.
 */
export const userFields: Shape = {
  email: fc.oneof(
    freshEmail,
    freshEmail,
    fc.emailAddress(),
    identifierText(64).map((local) => `${local}@example.com`),
  ),
  username: fc.oneof(fc.string({ minLength: 1, maxLength: 20 }), identifierText(191)),
  password: fc.oneof(
    fc.string({ minLength: 8, maxLength: 40 }),
    identifierText(40).map((text) => `${text}-padding`),
  ),
  mobilePhone: fc.constantFrom("+15555550100", "555-555-0101"),
  firstName: hostileShortString,
  fullName: hostileShortString,
  birthDate: fc.constantFrom("1990-01-01", "2000-12-31"),
  imageUrl: fc.constantFrom("https://example.com/a.png", "http://example.com/%E4%B8%AD"),
  timezone: fc.constantFrom("America/Denver", "Mars/Olympus"),
  preferredLanguages: fc.array(fc.constantFrom("en", "fr", "中", ""), { maxLength: 3 }),
  data: hostileObject,
  active: fc.boolean(),
  verified: fc.boolean(),
  expiry: fc.constant(4_102_444_800_000),
  tenantId: fc.uuid(),
  twoFactorEnabled: fc.boolean(),
  twoFactorDelivery: fc.constantFrom("None", "TextMessage"),
  twoFactorSecret: fc.constant(SECRET),
};

/** Bodies for an endpoint: shaped JSON most of the time, else any JSON, broken JSON or not JSON at all. */
export function bodies(shape: Shape): fc.Arbitrary<string> {
  return fc.oneof(
    { arbitrary: shaped(shape).map(toJson), weight: 16 },
    { arbitrary: hostileValue.map(toJson), weight: 2 },
    { arbitrary: fc.tuple(shaped(shape).map(toJson), fc.nat()).map(([text, cut]) => text.slice(0, cut % (text.length + 1))), weight: 1 },
    { arbitrary: hostileString, weight: 1 },
  );
}

export const contentType = fc.constantFrom("application/json", "application/json", "application/json", "text/plain", "application/json; charset=utf-16", null);

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** `text` with every lone surrogate replaced by U+FFFD (what TextEncoder does), so it can be percent-encoded. */
export const wellFormed = (text: string) => text.replace(LONE_SURROGATE, "\ufffd");
const hasLoneSurrogate = (text: string) => new RegExp(LONE_SURROGATE.source).test(text);

/** A path segment or query value: hostile text percent-encoded as UTF-8, or raw broken escapes. */
export const pathPart = fc.oneof(
  { arbitrary: hostileShortString.map((text) => encodeURIComponent(wellFormed(text))), weight: 4 },
  { arbitrary: badUuid.map((text) => encodeURIComponent(wellFormed(text))), weight: 3 },
  { arbitrary: fc.constantFrom("%", "%zz", "%ED%A0%80", "%00", "..%2F..%2F", "%E0%A4%A", "a".repeat(600)), weight: 1 },
);

// ---- The response contract ----

export type Operation = { method: string; path: string; success: "json" | "empty" };

const EMPTY_STATUSES = [401, 404, 410, 421, 423];
/** 403 and 415: a request whose only credential is the access_token cookie, from another site or with a body that is not JSON. */
const ERRORS_STATUSES = [400, 403, 413, 415, 429];
const ERROR_CODE = /^\[[A-Za-z]+\]/;

function documented2xx(operation: Operation): number[] {
  const template = operation.path.replace(/\?.*$/, "");
  const operations = (openApiDocument().paths as Record<string, Record<string, { responses: Record<string, unknown> }>>)[template];
  const responses = operations?.[operation.method.toLowerCase()]?.responses;
  if (!responses) throw new Error(`${operation.method} ${template} is not in the OpenAPI description`);
  return Object.keys(responses)
    .map(Number)
    .filter((status) => status >= 200 && status < 300);
}

function errorsBodyProblem(body: unknown): string | null {
  if (typeof body !== "object" || body === null) return "not an object";
  const { fieldErrors, generalErrors } = body as { fieldErrors?: unknown; generalErrors?: unknown };
  const messages: unknown[] = [];
  if (fieldErrors !== undefined) {
    if (typeof fieldErrors !== "object" || fieldErrors === null || Object.keys(fieldErrors).length === 0) return "empty fieldErrors";
    for (const list of Object.values(fieldErrors)) messages.push(...(Array.isArray(list) && list.length ? list : [null]));
  }
  if (generalErrors !== undefined) messages.push(...(Array.isArray(generalErrors) && generalErrors.length ? generalErrors : [null]));
  if (messages.length === 0) return "neither fieldErrors nor generalErrors";
  const bad = messages.find(
    (m) =>
      typeof m !== "object" ||
      m === null ||
      !ERROR_CODE.test(String((m as { code?: unknown }).code)) ||
      typeof (m as { message?: unknown }).message !== "string",
  );
  return bad === undefined ? null : `malformed error ${JSON.stringify(bad)}`;
}

/**
 * Null when `response` keeps the contract: a documented 2xx, or a 4xx whose body is FusionAuth's
 * (Errors JSON for 400/413/429, prevent-login actions for 409, nothing for 401/404/410/421/423).
 */
export async function contractProblem(operation: Operation, response: Response): Promise<string | null> {
  const { status } = response;
  const type = response.headers.get("Content-Type");
  const text = await response.text();
  const isJson = type?.startsWith("application/json") ?? false;
  const label = `${operation.method} ${operation.path} → ${status} ${text.slice(0, 120)}`;
  if (status >= 200 && status < 300) {
    if (!documented2xx(operation).includes(status)) return `${label}: undocumented success`;
    if (operation.success === "empty") return text === "" && type === null ? null : `${label}: success with a body`;
    return isJson && typeof JSON.parse(text) === "object" ? null : `${label}: success without a JSON object`;
  }
  if (status < 400 || status >= 500) return `${label}: not a 4xx`;
  if (EMPTY_STATUSES.includes(status)) return text === "" && type === null ? null : `${label}: should be empty`;
  if (!isJson) return `${label}: no JSON content type`;
  const body = JSON.parse(text) as Record<string, unknown>;
  if (status === 409) return Array.isArray(body.actions) && body.actions.length > 0 ? null : `${label}: 409 without actions`;
  if (!ERRORS_STATUSES.includes(status)) return `${label}: unexpected status`;
  if (status === 429 && !response.headers.get("Retry-After")) return `${label}: 429 without Retry-After`;
  const problem = errorsBodyProblem(body);
  return problem ? `${label}: ${problem}` : null;
}

// ---- Sending ----

export type Send = {
  method: string;
  path: string;
  body?: string | null;
  contentType?: string | null;
  headers?: Record<string, string>;
  apiKey?: string | null;
};

/** One request through the router with the real bindings (or `bindings`). */
export async function send(request: Send, bindings: Env = env): Promise<Response> {
  const headers = new Headers(request.headers);
  const apiKey = request.apiKey === undefined ? API_KEY : request.apiKey;
  if (apiKey !== null && !headers.has("Authorization")) headers.set("Authorization", apiKey);
  if (request.contentType) headers.set("Content-Type", request.contentType);
  const init: RequestInit = { method: request.method, headers };
  if (request.body !== undefined && request.body !== null) init.body = request.body;
  return app.request(request.path, init, bindings);
}

/** Own property names of the built-in prototypes, to prove fuzzing added none. */
export function prototypeSnapshot(): string[] {
  return [Object.prototype, Array.prototype, Function.prototype, String.prototype]
    .flatMap((proto, index) => Reflect.ownKeys(proto).map((key) => `${index}:${String(key)}`))
    .sort();
}

/** The canary field a pollution payload would put on every object, array and function. */
export function pollutionCanaries(): unknown[] {
  return [{}, [], () => undefined].map((value) => (value as unknown as Record<string, unknown>).polluted);
}

/** Registers the file's check that no payload reached a built-in prototype, and restores mocks after each test. */
export function checkNoPrototypePollution(): void {
  let before: string[];
  beforeAll(() => {
    before = prototypeSnapshot();
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });
  afterAll(() => {
    expect(prototypeSnapshot()).toEqual(before);
    expect(pollutionCanaries()).toEqual([undefined, undefined, undefined]);
  });
}

// ---- Stored state ----

/** How many user records KV holds. */
export async function countUsers(): Promise<number> {
  let count = 0;
  let cursor: string | undefined;
  do {
    const page = await env.KV.list({ prefix: kvKeys.userPrefix, cursor });
    count += page.keys.length;
    cursor = page.list_complete ? undefined : page.cursor;
  } while (cursor);
  return count;
}

/** The user id holding the email's uniqueness claim, if any. */
export async function emailOwner(email: string): Promise<string | undefined> {
  const stub = env.IDENTIFIER_CLAIM.get(env.IDENTIFIER_CLAIM.idFromName(await loginIdName(email)));
  return runInDurableObject(stub, (_instance, state) => state.storage.kv.get<string>("owner"));
}

/** Whether `email` can be looked up: well-formed and short (longer ones are covered by the 500 checks). */
export const lookupable = (email: unknown): email is string =>
  typeof email === "string" && !hasLoneSurrogate(email) && new TextEncoder().encode(email).length < 200;
