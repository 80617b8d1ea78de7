// The figures (src/services/shared/metrics.ts): one Workers Analytics Engine data point per login
// step, code send and refusal, with the event, outcome, method, country and application, and how
// long the request had taken; never a user id, login id, address, phone number or code.
import { env, exports } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { API_KEY, call, codeFor, createTwoFactorUserWithoutCode, createUser, login, twoFactorLogin, wrongCode } from "../helpers";

type Point = { indexes: string[]; blobs: string[]; doubles: number[] };
let points: Point[] = [];

beforeEach(() => {
  points = [];
  vi.spyOn(env.METRICS, "writeDataPoint").mockImplementation((point) => void points.push(point as Point));
});

afterEach(() => vi.restoreAllMocks());

const APPLICATION_ID = "3c219e58-ed0e-4b18-ad48-f4f92793ae32";
/** A point's dimensions: event, outcome, method, country, application. */
const dimensions = () => points.map((point) => point.blobs);

describe("data points", () => {
  it("one per login step: the password step's outcome, the code step's outcome and method, with the application", async () => {
    const user = await createTwoFactorUserWithoutCode();
    const challenged = await login(user.email, user.password, { applicationId: APPLICATION_ID });
    expect(challenged.status).toBe(242);
    const { twoFactorId } = (await challenged.json()) as { twoFactorId: string };
    expect((await twoFactorLogin({ twoFactorId, code: await wrongCode(user.secret) })).status).toBe(421);
    expect((await twoFactorLogin({ twoFactorId, code: await codeFor(user.secret) })).status).toBe(200);
    expect((await login(user.email, "not the password")).status).toBe(404);
    expect(dimensions()).toEqual([
      ["login", "challenge", "", "", APPLICATION_ID],
      ["code", "invalid-code", "", "", ""],
      ["code", "accepted", "authenticator", "", APPLICATION_ID],
      ["login", "wrong-password", "", "", ""],
    ]);
    for (const point of points) {
      expect(point.indexes).toEqual([point.blobs[0]]);
      expect(point.doubles).toHaveLength(1);
      expect(point.doubles[0]).toBeGreaterThanOrEqual(0);
    }
    const written = JSON.stringify(points);
    for (const secret of [user.id, user.email, user.password, user.secret]) expect(written).not.toContain(secret);
  });

  it("one per email sent, and one per refusal, naming the reason and never the address or the code", async () => {
    const user = await createUser();
    const address = `metrics-${crypto.randomUUID()}@example.com`;
    const send = () => call("POST", "/api/two-factor/send", { body: { userId: user.id, method: "email", email: address } });
    expect((await send()).status).toBe(200);
    expect((await send()).status).toBe(429);
    expect(dimensions()).toEqual([
      ["send", "sent", "email", "", ""],
      ["refusal", "address", "email", "", ""],
    ]);
    const written = JSON.stringify(points);
    expect(written).not.toContain(address.split("@")[0]);
    expect(written).not.toContain(user.id);
  });

  it("carry the client's country from the request's cf object through the Worker's fetch, and an empty one without it", async () => {
    const user = await createUser();
    // Through the Worker's own fetch handler, as Cloudflare calls it: `cf` is what the edge attaches.
    const post = (path: string, body: unknown, cf?: { country: string }) =>
      exports.default.fetch(`http://localhost${path}`, {
        method: "POST",
        headers: { Authorization: API_KEY, "Content-Type": "application/json" },
        body: JSON.stringify(body),
        ...(cf && { cf }),
      });
    const email = () => ({ userId: user.id, method: "email", email: `metrics-${crypto.randomUUID()}@example.com` });
    expect((await post("/api/login", { loginId: user.email, password: user.password }, { country: "DE" })).status).toBe(200);
    expect((await post("/api/two-factor/send", email(), { country: "DE" })).status).toBe(200);
    expect((await post("/api/login", { loginId: user.email, password: user.password })).status).toBe(200);
    expect((await post("/api/two-factor/send", email())).status).toBe(200);
    expect(dimensions()).toEqual([
      ["login", "authenticated", "", "DE", ""],
      ["send", "sent", "email", "DE", ""],
      ["login", "authenticated", "", "", ""],
      ["send", "sent", "email", "", ""],
    ]);
  });
});
