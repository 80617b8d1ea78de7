// Property tests for both login steps and the login-time SMS resend: hostile bodies and ids never
// cause a 500, answers keep FusionAuth's contract, a malformed request never counts as a wrong
// password, and no refused completion consumes a time step or hands out a token.
import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import { createTwoFactorUserWithoutCode, createUser, startTwoFactorLogin } from "../helpers";
import { readAccount } from "../storage";
import {
  badUuid,
  bodies,
  contentType,
  contractProblem,
  hostileObject,
  hostileShortString,
  identifierText,
  pathPart,
  checkNoPrototypePollution,
  runs,
  send,
  type Shape,
} from "./support";

const ipAddress = fc.constantFrom("192.0.2.1", "2001:db8::1", "::ffff:192.0.2.1");
checkNoPrototypePollution();

/** The guard counters a login attempt may change. */
async function counters(userId: string) {
  const { guard } = await readAccount(userId);
  return { passwordFailures: guard.password.failures.length, lastAcceptedStep: guard.lastAcceptedStep, codeFailures: guard.consecutiveCodeFailures };
}

describe("logging in with hostile bodies", () => {
  it("answers 200, 242 or a FusionAuth 4xx, and never counts a malformed request as a wrong password", async () => {
    const plain = await createUser({ username: `plain-${crypto.randomUUID()}` });
    const enrolled = await createTwoFactorUserWithoutCode();
    const shape: Shape = {
      loginId: fc.oneof(fc.constantFrom(plain.email, plain.email.toUpperCase(), enrolled.email), fc.emailAddress(), identifierText(320)),
      password: fc.oneof(fc.constantFrom(plain.password, enrolled.password), fc.string({ minLength: 1, maxLength: 30 }), hostileShortString),
      applicationId: fc.oneof(fc.uuid(), badUuid),
      ipAddress,
      twoFactorTrustId: fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]{43}$/), hostileShortString),
      noJWT: fc.boolean(),
      metaData: hostileObject,
    };
    await fc.assert(
      fc.asyncProperty(bodies(shape), contentType, async (body, type) => {
        const before = await counters(plain.id);
        const response = await send({ method: "POST", path: "/api/login", body, contentType: type });
        const status = response.status;
        expect(await contractProblem({ method: "POST", path: "/api/login", success: "json" }, response)).toBeNull();
        if (status === 400 || status === 413)
          expect((await counters(plain.id)).passwordFailures, `a ${status} counted as a wrong password`).toBe(before.passwordFailures);
      }),
      runs(150),
    );
  }, 60_000);
});

describe("logging in with metaData of any size and depth", () => {
  it("answers 242 or [tooLarge]metaData, and the user's next login and the admin unlock still work", async () => {
    const user = await createTwoFactorUserWithoutCode();
    const metaData = fc.oneof(
      fc.tuple(fc.integer({ min: 1, max: 800_000 }), fc.constantFrom("x", '"', "中", "\u0000")).map(([length, unit]) => `{"note":"${unit.repeat(length)}"}`),
      fc.integer({ min: 1, max: 200_000 }).map((depth) => `{"deep":${"[".repeat(depth)}${"]".repeat(depth)}}`),
    );
    await fc.assert(
      fc.asyncProperty(metaData, async (json) => {
        const body = `{"loginId":${JSON.stringify(user.email)},"password":${JSON.stringify(user.password)},"metaData":${json}}`;
        const response = await send({ method: "POST", path: "/api/login", body, contentType: "application/json" });
        expect(await contractProblem({ method: "POST", path: "/api/login", success: "json" }, response)).toBeNull();
        expect([242, 400, 413]).toContain(response.status);
        expect((await send({ method: "POST", path: `/api/user/unlock/${user.id}`, body: "", contentType: null })).status).toBe(200);
      }),
      runs(40),
    );
    const again = await send({
      method: "POST",
      path: "/api/login",
      body: JSON.stringify({ loginId: user.email, password: user.password }),
      contentType: "application/json",
    });
    expect(again.status).toBe(242);
  }, 60_000);
});

describe("completing two-factor logins with hostile bodies", () => {
  it("answers 200 or a FusionAuth 4xx, and a refused completion uses up no time step", async () => {
    const user = await createTwoFactorUserWithoutCode();
    const challenges: string[] = [];
    for (let i = 0; i < 4; i++) challenges.push(await startTwoFactorLogin(user));
    const shape: Shape = {
      twoFactorId: fc.oneof(fc.constantFrom(...challenges), fc.stringMatching(/^[A-Za-z0-9_-]{43}$/), badUuid),
      code: fc.oneof(fc.stringMatching(/^[0-9]{6}$/), fc.constantFrom("000000", "１２３４５６", "12345", "1234567", " 123456 "), hostileShortString),
      trustComputer: fc.boolean(),
      applicationId: fc.oneof(fc.uuid(), badUuid),
      ipAddress,
      noJWT: fc.boolean(),
      metaData: hostileObject,
    };
    await fc.assert(
      fc.asyncProperty(bodies(shape), contentType, async (body, type) => {
        const before = await counters(user.id);
        const response = await send({ method: "POST", path: "/api/two-factor/login", body, contentType: type, apiKey: null });
        const status = response.status;
        expect(await contractProblem({ method: "POST", path: "/api/two-factor/login", success: "json" }, response)).toBeNull();
        if (status !== 200) expect((await counters(user.id)).lastAcceptedStep, `a ${status} used up a time step`).toBe(before.lastAcceptedStep);
      }),
      runs(150),
    );
  }, 60_000);
});

describe("asking for another code during a login with hostile ids and bodies", () => {
  it("answers 200 or a FusionAuth 4xx", async () => {
    vi.spyOn(globalThis, "fetch").mockRejectedValue(new Error("no network in fuzz tests"));
    const user = await createTwoFactorUserWithoutCode({ mobilePhone: "+15555550199" });
    const live = await startTwoFactorLogin(user);
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.constant(live), pathPart), bodies({}), contentType, async (twoFactorId, body, type) => {
        const response = await send({ method: "POST", path: `/api/two-factor/send/${twoFactorId}`, body, contentType: type, apiKey: null });
        expect(await contractProblem({ method: "POST", path: "/api/two-factor/send/{twoFactorId}", success: "empty" }, response)).toBeNull();
      }),
      runs(100),
    );
  }, 60_000);
});
