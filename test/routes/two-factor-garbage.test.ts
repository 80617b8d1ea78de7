// No 500 from any two-factor endpoint: wrong JSON types in every field, bodies that are not a
// JSON object, and garbage query strings and Authorization headers all get a 4xx, and every 400 carries
// a FusionAuth Errors body. Kept in its own file and bounded to a few hundred requests: requests through
// `exports.default.fetch` get slower as a file sends more of them (≈2 ms at first, ≈100 ms after 600).
import { describe, expect, it } from "vitest";
import { call, createTwoFactorUserWithoutCode, createUser, startTwoFactorLogin, wrongCode } from "../helpers";
import { readAccount } from "../storage";

const GARBAGE_VALUES: unknown[] = [123, 1.5, true, null, [], ["123456"], {}, "", " ", "x".repeat(100_000), "\u0000\u0001", "😀".repeat(500)];
const RAW_BODIES = ["not json", "{", "null", "[]", '"text"', "123", '{"__proto__":{"polluted":1}}', "[".repeat(50_000), "a=b&c=d", "x".repeat(1_100_000)];

type Target = { name: string; method: string; path: string; apiKey?: null; base: Record<string, unknown> };

/** Every two-factor endpoint that reads a body, each with a valid-looking body that cannot succeed. */
async function targets(): Promise<Target[]> {
  const plain = await createUser();
  const enrolled = await createTwoFactorUserWithoutCode();
  const twoFactorId = await startTwoFactorLogin(enrolled);
  const bad = await wrongCode(enrolled.secret);
  return [
    {
      name: "enable",
      method: "POST",
      path: `/api/user/two-factor/${plain.id}`,
      base: { code: bad, secret: enrolled.secret, secretBase32Encoded: "GEZDGNBVGY3TQOJQGEZDGNBV", delivery: "None" },
    },
    { name: "enable (PUT, no user id)", method: "PUT", path: "/api/user/two-factor", base: { code: bad, secret: enrolled.secret } },
    {
      name: "two-factor login",
      method: "POST",
      path: "/api/two-factor/login",
      apiKey: null,
      base: { twoFactorId, code: bad, trustComputer: true, applicationId: crypto.randomUUID(), ipAddress: "192.0.2.1", noJWT: false, metaData: {} },
    },
    {
      name: "login",
      method: "POST",
      path: "/api/login",
      base: { loginId: enrolled.email, password: "not the password", twoFactorTrustId: "x", noJWT: false, metaData: {} },
    },
    // The enrolled user has no mobile phone, so no garbage can make a send reach Twilio.
    { name: "send", method: "POST", path: "/api/two-factor/send", base: { userId: enrolled.id, mobilePhone: null, secret: null } },
    { name: "send during login", method: "POST", path: `/api/two-factor/send/${twoFactorId}`, apiKey: null, base: {} },
  ];
}

async function problemWith(label: string, response: Response): Promise<string | null> {
  const text = await response.text();
  if (response.status < 400 || response.status >= 500) return `${label}: status ${response.status}`;
  if (response.status !== 400) return null;
  if (!response.headers.get("Content-Type")?.startsWith("application/json")) return `${label}: 400 without a JSON content type`;
  const body = JSON.parse(text) as Record<string, unknown>;
  return body.fieldErrors || body.generalErrors ? null : `${label}: 400 without fieldErrors or generalErrors`;
}

async function problemsOf(requests: Array<{ label: string; send: () => Promise<Response> }>): Promise<string[]> {
  const problems = await Promise.all(requests.map(async ({ label, send }) => problemWith(label, await send())));
  return problems.filter((problem): problem is string => problem !== null);
}

describe("garbage never causes a 500", () => {
  it("answers 4xx, with an Errors body for every 400, to wrong types in every field", async () => {
    const problems: string[] = [];
    for (const target of await targets()) {
      const requests = Object.keys(target.base).flatMap((field) =>
        GARBAGE_VALUES.map((value) => ({
          label: `${target.name} ${field}=${JSON.stringify(value).slice(0, 30)}`,
          send: () => call(target.method, target.path, { apiKey: target.apiKey, body: { ...target.base, [field]: value } }),
        })),
      );
      problems.push(...(await problemsOf(requests)));
    }
    expect(problems).toEqual([]);
  }, 60_000);

  it("answers 4xx, with an Errors body for every 400, to bodies that are not a JSON object", async () => {
    const problems: string[] = [];
    for (const target of await targets()) {
      const requests = RAW_BODIES.map((raw, index) => {
        const contentType = index % 2 === 0 ? "application/json" : "text/plain";
        return {
          label: `${target.name} ${contentType} ${raw.slice(0, 20)}`,
          send: () => call(target.method, target.path, { apiKey: target.apiKey, body: raw, headers: { "Content-Type": contentType } }),
        };
      });
      problems.push(...(await problemsOf(requests)));
    }
    expect(problems).toEqual([]);
  }, 60_000);

  it("answers 4xx, with an Errors body for every 400, to garbage query strings and Authorization headers", async () => {
    const user = await createTwoFactorUserWithoutCode();
    const requests: Array<{ label: string; send: () => Promise<Response> }> = [];
    const codes = ["", " ", "undefined", "null", "%00", "１２３４５６", "12345678901234567890", "x".repeat(4_000), "000000&code=000000"];
    for (const code of codes) {
      for (const path of [`/api/user/two-factor/${user.id}?code=${code}`, `/api/user/two-factor?userId=${user.id}&code=${code}`]) {
        requests.push({ label: `DELETE ${path.slice(0, 70)}`, send: () => call("DELETE", path) });
      }
    }
    for (const userId of ["", "not-a-uuid", "..%2F..", "%E0%A4%A", "00000000-0000-0000-0000-000000000000"]) {
      const path = `/api/user/two-factor?userId=${userId}&code=000000`;
      requests.push({ label: `DELETE ${path}`, send: () => call("DELETE", path) });
    }
    const authorizations = ["Bearer", "Bearer ", "Bearer x.y.z", "JWT abc", "Basic dXNlcjpwYXNz", "x".repeat(9_000), `Bearer ${"a".repeat(5_000)}`];
    for (const authorization of authorizations) {
      for (const [method, path] of [
        ["GET", "/api/two-factor/secret"],
        ["POST", "/api/user/two-factor"],
        ["DELETE", "/api/user/two-factor?code=123456"],
      ] as const) {
        requests.push({
          label: `${method} ${path} Authorization=${authorization.slice(0, 20)}`,
          send: () => call(method, path, { apiKey: null, headers: { Authorization: authorization }, body: method === "POST" ? { code: "123456" } : undefined }),
        });
      }
    }
    for (const cookie of ["fusionauth.trust=%E0%A4%A", "fusionauth.trust=", `fusionauth.trust=${"t".repeat(4_000)}`, "fusionauth.trust"]) {
      requests.push({
        label: `login with Cookie ${cookie.slice(0, 30)}`,
        send: () => call("POST", "/api/login", { body: { loginId: user.email, password: "wrong password" }, headers: { Cookie: cookie } }),
      });
    }
    requests.push({
      label: "garbage access_token and fusionauth.trust cookies",
      send: () => call("GET", "/api/two-factor/secret", { apiKey: null, headers: { Cookie: "access_token=garbage; fusionauth.trust=%%%" } }),
    });
    expect(await problemsOf(requests)).toEqual([]);
    // None of it disabled 2FA; the codes did reach the guard (and may have locked login, which is fine).
    const stored = await (await call("GET", `/api/user/${user.id}`)).json<{ user: { twoFactorEnabled: boolean } }>();
    expect(stored.user.twoFactorEnabled).toBe(true);
    expect((await readAccount(user.id)).guard.consecutiveCodeFailures).toBeGreaterThan(0);
  }, 60_000);
});
