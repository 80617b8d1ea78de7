// Property tests for the User API: hostile bodies, ids and queries never cause a 500, every
// answer keeps FusionAuth's contract, and a refused request writes nothing — no user record, no email
// claim, no change to an existing user — and pollutes no prototype.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  badUuid,
  bodies,
  contentType,
  contractProblem,
  countUsers,
  emailOwner,
  lookupable,
  pathPart,
  checkNoPrototypePollution,
  pollutionCanaries,
  runs,
  send,
  type Shape,
  userFields,
  wellFormed,
} from "./support";

const userShape: Shape = { user: userFields };

const USER_JSON = { method: "POST", path: "/api/user", success: "json" } as const;
checkNoPrototypePollution();

/** The `user.email` a body carries, when it is one we can look up (well-formed, short). */
function emailIn(body: string): string | null {
  try {
    const email = (JSON.parse(body) as { user?: { email?: unknown } } | null)?.user?.email;
    return lookupable(email) ? email.trim() : null;
  } catch {
    return null;
  }
}

const getUser = (id: string) => send({ method: "GET", path: `/api/user/${id}` });

describe("creating users from hostile bodies", () => {
  it("answers 200 or a FusionAuth 4xx, and a refused create leaves no user and no email claim", async () => {
    const created = new Set<string>();
    await fc.assert(
      fc.asyncProperty(bodies(userShape), contentType, fc.option(fc.oneof(fc.uuid(), badUuid)), async (body, type, pathId) => {
        const before = await countUsers();
        const path = pathId === null ? "/api/user" : `/api/user/${encodeURIComponent(wellFormed(pathId))}`;
        const response = await send({ method: "POST", path, body, contentType: type });
        expect(await contractProblem({ ...USER_JSON, path: pathId === null ? "/api/user" : "/api/user/{userId}" }, response.clone())).toBeNull();
        const after = await countUsers();
        const email = emailIn(body);
        if (response.status === 200) {
          expect(after).toBe(before + 1);
          if (email) created.add(email.toLowerCase());
          return;
        }
        expect(after, "a refused create wrote a user record").toBe(before);
        if (email && !created.has(email.toLowerCase())) {
          expect((await send({ method: "GET", path: `/api/user?email=${encodeURIComponent(email)}` })).status).toBe(404);
          expect(await emailOwner(email), `a refused create kept the claim on ${email}`).toBeUndefined();
        }
        expect(pollutionCanaries()).toEqual([undefined, undefined, undefined]);
      }),
      runs(150),
    );
  }, 60_000);
});

describe("changing a user with hostile bodies", () => {
  it("answers 200 or a FusionAuth 4xx, and a refused PUT or PATCH leaves the user byte-identical", async () => {
    const create = await send({
      method: "POST",
      path: "/api/user",
      contentType: "application/json",
      body: JSON.stringify({
        user: {
          email: `target-${crypto.randomUUID()}@example.com`,
          username: `target-${crypto.randomUUID()}`,
          password: "correct horse battery",
          mobilePhone: "+15555550142",
        },
      }),
    });
    expect(create.status).toBe(200);
    const { user } = (await create.json()) as { user: { id: string } };

    await fc.assert(
      fc.asyncProperty(fc.constantFrom("PUT", "PATCH"), bodies(userShape), contentType, async (method, body, type) => {
        const baseline = await (await getUser(user.id)).text();
        const response = await send({ method, path: `/api/user/${user.id}`, body, contentType: type });
        expect(await contractProblem({ method, path: "/api/user/{userId}", success: "json" }, response.clone())).toBeNull();
        if (response.status === 200) return;
        expect(await (await getUser(user.id)).text(), `${method} answered ${response.status} but changed the user`).toBe(baseline);
        const email = emailIn(body);
        const current = (JSON.parse(baseline) as { user: { email?: string } }).user.email?.toLowerCase();
        if (email && email.toLowerCase() !== current) expect(await emailOwner(email), `a refused ${method} kept the claim on ${email}`).not.toBe(user.id);
      }),
      runs(150),
    );
  }, 60_000);
});

describe("reading and deleting users with hostile ids and queries", () => {
  it("answers a FusionAuth 4xx or the user, and never deletes anyone it was not asked to", async () => {
    const bystander = await send({
      method: "POST",
      path: "/api/user",
      contentType: "application/json",
      body: JSON.stringify({ user: { email: `bystander-${crypto.randomUUID()}@example.com`, password: "correct horse battery" } }),
    });
    const { user } = (await bystander.json()) as { user: { id: string } };
    const query = fc.tuple(fc.constantFrom("email", "username", "loginId", "id", ""), pathPart).map(([name, value]) => (name ? `${name}=${value}` : value));

    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          pathPart.map((id) => ({ method: "GET", path: `/api/user/${id}`, template: "/api/user/{userId}" })),
          pathPart.map((id) => ({ method: "DELETE", path: `/api/user/${id}`, template: "/api/user/{userId}" })),
          fc.array(query, { maxLength: 3 }).map((parts) => ({ method: "GET", path: `/api/user?${parts.join("&")}`, template: "/api/user" })),
        ),
        async ({ method, path, template }) => {
          const response = await send({ method, path });
          const success = method === "DELETE" ? "empty" : "json";
          expect(await contractProblem({ method, path: template, success }, response)).toBeNull();
        },
      ),
      runs(150),
    );
    expect((await getUser(user.id)).status).toBe(200);
  }, 60_000);
});
