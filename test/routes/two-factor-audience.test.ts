// The token of a two-factor login is the password step's: `POST /api/two-factor/login` needs no API
// key, so its `applicationId` and `noJWT` (optional in FusionAuth's Login API docs,
// https://fusionauth.io/docs/v1/tech/apis/login) are accepted and ignored — the JWT's `aud` and whether
// a JWT is issued at all were decided by the API-key caller of `POST /api/login`.
// Every test makes its own users; each user completes at most one login per time step.
import { verify } from "hono/jwt";
import { describe, expect, it } from "vitest";
import { codeFor, createTwoFactorUserWithoutCode, jsonBody, JWT_SIGNING_KEY, login, setCookies, twoFactorLogin } from "../helpers";

const APP_A = "3c219e58-ed0e-4b18-ad48-f4f92793ae32";
const APP_B = "10000000-0000-0002-0000-000000000001";

/** Runs the password step with `first` and completes it with `second`; answers the 200 body and its cookies. */
async function twoSteps(first: Record<string, unknown>, second: Record<string, unknown>) {
  const user = await createTwoFactorUserWithoutCode();
  const started = await login(user.email, user.password, first);
  expect(started.status).toBe(242);
  const { twoFactorId } = await jsonBody<{ twoFactorId: string }>(started);
  const done = await twoFactorLogin({ twoFactorId, code: await codeFor(user.secret), ...second });
  expect(done.status, await done.clone().text()).toBe(200);
  const body = await jsonBody<{ token?: string; user: { id: string } }>(done);
  expect(body.user.id).toBe(user.id);
  const accessCookie = setCookies(done).find((cookie) => cookie.startsWith("access_token="));
  return { body, accessCookie };
}

const claimsOf = async (token: string | undefined) => {
  expect(token).toEqual(expect.any(String));
  return verify(token!, JWT_SIGNING_KEY, "HS256");
};

describe("the audience of a two-factor login", () => {
  it("stays the password step's application when the second step names another", async () => {
    const { body, accessCookie } = await twoSteps({ applicationId: APP_A }, { applicationId: APP_B });
    expect(await claimsOf(body.token)).toMatchObject({ aud: APP_A, applicationId: APP_A });
    expect(accessCookie).toContain(`access_token=${body.token};`);
  });

  it("stays the password step's application when the second step names none", async () => {
    const { body } = await twoSteps({ applicationId: APP_A }, {});
    expect(await claimsOf(body.token)).toMatchObject({ aud: APP_A, applicationId: APP_A });
  });

  it("is not added by the second step when the password step named no application", async () => {
    const { body } = await twoSteps({}, { applicationId: APP_B });
    const claims = await claimsOf(body.token);
    expect(claims).not.toHaveProperty("aud");
    expect(claims).not.toHaveProperty("applicationId");
  });

  it("still checks the second step's applicationId, as FusionAuth does a UUID field", async () => {
    const user = await createTwoFactorUserWithoutCode();
    const { twoFactorId } = await jsonBody<{ twoFactorId: string }>(await login(user.email, user.password, { applicationId: APP_A }));
    const response = await twoFactorLogin({ twoFactorId, code: await codeFor(user.secret), applicationId: "not-a-uuid" });
    expect(response.status).toBe(400);
    expect((await jsonBody(response)).fieldErrors.applicationId[0].code).toBe("[invalid]applicationId");
  });
});

describe("noJWT of a two-factor login", () => {
  it("noJWT true at the password step stands when the second step says false: no token, no access_token cookie", async () => {
    const { body, accessCookie } = await twoSteps({ noJWT: true }, { noJWT: false });
    expect(body).not.toHaveProperty("token");
    expect(accessCookie).toBeUndefined();
  });

  it("noJWT false at the password step stands when the second step says true: a token for the password step's application", async () => {
    const { body, accessCookie } = await twoSteps({ noJWT: false, applicationId: APP_A }, { noJWT: true, applicationId: APP_B });
    expect(await claimsOf(body.token)).toMatchObject({ aud: APP_A });
    expect(accessCookie).toContain(`access_token=${body.token};`);
  });

  it("a password step without noJWT issues a token even when the second step says true", async () => {
    const { body } = await twoSteps({}, { noJWT: true });
    expect(body.token).toEqual(expect.any(String));
  });
});
