// Property tests for the legacy two-factor API: generating secrets, texting codes, and enabling and
// disabling 2FA in every form (path id, query id, JWT; POST and PUT). Hostile input never causes a
// 500, answers keep FusionAuth's contract, and a refused enable or disable leaves the user as it was.
import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import { encodeBase32 } from "../../src/domain/encoding";
import { issueAccessToken } from "../../src/routes/http/jwt";
import { keyFromSecret } from "../../src/domain/secret";
import { accessToken, codeFor, createTwoFactorUserWithoutCode, createUser, JWT_SIGNING_KEY, newSecret } from "../helpers";
import { readAccount } from "../storage";
import {
  badUuid,
  bodies,
  contentType,
  contractProblem,
  hostileShortString,
  pathPart,
  checkNoPrototypePollution,
  runs,
  send,
  type Shape,
  wellFormed,
} from "./support";

checkNoPrototypePollution();

const codeLike = fc.oneof(fc.stringMatching(/^[0-9]{6}$/), fc.constantFrom("000000", "１２３４５６", "12345", " 123456", "1e5", "-12345"), hostileShortString);
const userJson = (id: string) => send({ method: "GET", path: `/api/user/${id}` }).then((response) => response.text());

/** An enable or disable request aimed at `userId`, in one of the forms the API takes. */
function targeted(userId: string, token: string, method: fc.Arbitrary<string>) {
  return fc.tuple(method, fc.constantFrom("path", "query", "jwt", "stranger"), fc.oneof(fc.constant(userId), pathPart)).map(([verb, form, id]) => {
    if (form === "path") return { method: verb, path: `/api/user/two-factor/${id}`, template: "/api/user/two-factor/{userId}" };
    if (form === "query") return { method: verb, path: `/api/user/two-factor?userId=${id}`, template: "/api/user/two-factor" };
    if (form === "jwt") return { method: verb, path: "/api/user/two-factor", template: "/api/user/two-factor", headers: { Authorization: `Bearer ${token}` } };
    return { method: verb, path: `/api/user/two-factor/${crypto.randomUUID()}`, template: "/api/user/two-factor/{userId}" };
  });
}

describe("enabling 2FA with hostile bodies", () => {
  it("answers 200 or a FusionAuth 4xx, and a refused enable leaves the user byte-identical", async () => {
    const user = await createUser({ mobilePhone: "+15555550177" });
    const token = await accessToken(user);
    const secret = await newSecret();
    const near = await Promise.all([-1, 0, 1].map((steps) => codeFor(secret, steps)));
    const shape: Shape = {
      code: fc.oneof(fc.constantFrom(...near), codeLike),
      secret: fc.oneof(fc.constant(secret), fc.constantFrom("short", "!!!!", "AAAAAAAAAAAAAAAAAAAA", "AAAAAAAAAAAAAAAAAAAA====")),
      secretBase32Encoded: fc.oneof(fc.constant(encodeBase32(keyFromSecret(secret)!)), fc.constantFrom("gezd gnbv", "10101010", "MZXW6===")),
      delivery: fc.constantFrom("None", "TextMessage", "Email", ""),
    };
    await fc.assert(
      fc.asyncProperty(targeted(user.id, token, fc.constantFrom("POST", "PUT")), bodies(shape), contentType, async (target, body, type) => {
        const baseline = await userJson(user.id);
        const response = await send({ method: target.method, path: target.path, headers: target.headers, body, contentType: type });
        expect(await contractProblem({ method: target.method, path: target.template, success: "empty" }, response.clone())).toBeNull();
        const now = await userJson(user.id);
        if (response.status === 200) {
          expect(JSON.parse(now).user.twoFactorEnabled).toBe(true);
          return;
        }
        expect(now, `${target.method} ${target.path} answered ${response.status} but changed the user`).toBe(baseline);
      }),
      runs(150),
    );
  }, 60_000);
});

describe("disabling 2FA with hostile codes and ids", () => {
  it("answers 200 or a FusionAuth 4xx, and a refused disable leaves 2FA on", async () => {
    const user = await createTwoFactorUserWithoutCode();
    // The user has 2FA, so password login answers 242: sign its JWT directly.
    const { tokenStamp } = (await readAccount(user.id)).guard;
    const token = await issueAccessToken({ id: user.id }, { signingKey: JWT_SIGNING_KEY, issuer: "acme.com", ttlSeconds: 3600, tokenStamp, nowMs: Date.now() });
    const query = codeLike.map((code) => encodeURIComponent(wellFormed(code)));
    await fc.assert(
      fc.asyncProperty(targeted(user.id, token, fc.constant("DELETE")), fc.array(query, { maxLength: 2 }), async (target, codes) => {
        const baseline = await userJson(user.id);
        const separator = target.path.includes("?") ? "&" : "?";
        const path = `${target.path}${codes.map((code, index) => `${index ? "&" : separator}code=${code}`).join("")}`;
        const response = await send({ method: "DELETE", path, headers: target.headers });
        expect(await contractProblem({ method: "DELETE", path: target.template, success: "empty" }, response)).toBeNull();
        if (response.status !== 200) expect(await userJson(user.id)).toBe(baseline);
      }),
      runs(120),
    );
  }, 60_000);
});

describe("generating secrets and texting codes with hostile input", () => {
  it("answers GET /api/two-factor/secret with a secret or an empty 401, whatever the credentials", async () => {
    const header = fc.oneof(
      fc.string({ maxLength: 60 }),
      fc.constantFrom("Bearer", "Bearer ", "JWT x.y.z", `Bearer ${"a".repeat(9_000)}`, "test-api-key ", " test-api-key"),
    );
    await fc.assert(
      fc.asyncProperty(fc.option(header), fc.option(fc.string({ maxLength: 60 }).map((value) => `access_token=${value}`)), async (authorization, cookie) => {
        const headers: Record<string, string> = {};
        if (authorization !== null) headers.Authorization = authorization;
        if (cookie !== null) headers.Cookie = cookie;
        const response = await send({ method: "GET", path: "/api/two-factor/secret", headers, apiKey: null });
        expect(await contractProblem({ method: "GET", path: "/api/two-factor/secret", success: "json" }, response)).toBeNull();
      }),
      runs(100),
    );
  });

  it("answers POST /api/two-factor/send with 200 or a FusionAuth 4xx, and texts nothing without Twilio", async () => {
    const fetch = vi.spyOn(globalThis, "fetch").mockRejectedValue(new Error("no network in fuzz tests"));
    const enrolled = await createTwoFactorUserWithoutCode({ mobilePhone: "+15555550178" });
    const secret = await newSecret();
    const shape: Shape = {
      userId: fc.oneof(fc.constant(enrolled.id), fc.uuid(), badUuid),
      mobilePhone: fc.constantFrom("+15555550179", "555-555-0180", "not a phone", "+1", "+999999999999999999"),
      secret: fc.oneof(fc.constant(secret), fc.constantFrom("short", "!!!!")),
    };
    await fc.assert(
      fc.asyncProperty(bodies(shape), contentType, async (body, type) => {
        const response = await send({ method: "POST", path: "/api/two-factor/send", body, contentType: type });
        expect(await contractProblem({ method: "POST", path: "/api/two-factor/send", success: "empty" }, response)).toBeNull();
      }),
      runs(120),
    );
    expect(fetch).not.toHaveBeenCalled();
  }, 60_000);
});
