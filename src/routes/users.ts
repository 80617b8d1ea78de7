// The FusionAuth User API subset: create, retrieve, replace, merge, delete, and the admin unlock.
import { Hono, type Context } from "hono";
import { invalidField } from "../domain/failures";
import { createUser, deleteUser, findUser, getUser, unlockUser, updateUser } from "../services/users";
import type { AppEnv } from "./http/context";
import { endpoint } from "./http/endpoint";
import { empty } from "./http/respond";
import { userLookupQuery, userRequest } from "./http/requests";
import { check, idParam, readJson } from "./http/validate";

const responses = { 200: "user", 400: "errors", 404: "notFound" } as const;

async function update(c: Context<AppEnv>, replace: boolean): Promise<Response> {
  const userId = idParam("userId", c.req.param("userId"));
  const { user } = await readJson(c, userRequest);
  return c.json({ user: await updateUser(c.var.scope, userId, user, replace) });
}

export const userRoutes = new Hono<AppEnv>();

endpoint(
  userRoutes,
  { method: "post", path: "/user/:userId?", summary: "Create a user, with this id if one is given", security: "apiKey", body: userRequest, responses },
  async (c) => {
    const userId = c.req.param("userId") ? idParam("userId", c.req.param("userId")) : undefined;
    const { user } = await readJson(c, userRequest);
    return c.json({ user: await createUser(c.var.scope, userId, user, c.var.tenantId) });
  },
);

endpoint(userRoutes, { method: "get", path: "/user/:userId", summary: "Retrieve a user", security: "apiKey", responses }, async (c) =>
  c.json({ user: await getUser(c.var.scope, idParam("userId", c.req.param("userId"))) }),
);

endpoint(
  userRoutes,
  {
    method: "get",
    path: "/user",
    summary: "Retrieve a user by email, username or loginId (API key), or the JWT's user",
    security: "apiKeyOrJwt",
    query: userLookupQuery,
    responses,
  },
  async (c) => {
    const auth = c.var.auth;
    if (auth.kind === "jwt") return c.json({ user: await getUser(c.var.scope, auth.userId) });
    const { email, username, loginId } = check(userLookupQuery, c.req.query());
    const [kind, value] = email ? (["email", email] as const) : username ? (["username", username] as const) : loginId ? (["loginId", loginId] as const) : [];
    if (!kind) throw invalidField("email", "blank", "Provide an [email], [username] or [loginId] query parameter.");
    return c.json({ user: await findUser(c.var.scope, kind, value) });
  },
);

endpoint(userRoutes, { method: "put", path: "/user/:userId", summary: "Replace a user", security: "apiKey", body: userRequest, responses }, (c) =>
  update(c, true),
);

endpoint(
  userRoutes,
  { method: "patch", path: "/user/:userId", summary: "Update some of a user's fields", security: "apiKey", body: userRequest, responses },
  (c) => update(c, false),
);

// Lifts every login lock of the user: an explicit admin call for what FusionAuth does by cancelling
// the Prevent Login user action.
endpoint(
  userRoutes,
  {
    method: "post",
    path: "/user/unlock/:userId",
    summary: "Lift the user's login locks",
    description: "Clears the wrong-password and wrong-code locks of every kind of source (what cancelling FusionAuth's Prevent Login action does).",
    security: "apiKey",
    responses: { 200: "ok", 400: "errors", 404: "notFound" },
  },
  async (c) => {
    await unlockUser(c.var.scope, idParam("userId", c.req.param("userId")));
    return empty();
  },
);

endpoint(
  userRoutes,
  { method: "delete", path: "/user/:userId", summary: "Delete a user", security: "apiKey", responses: { ...responses, 200: "ok" } },
  async (c) => {
    await deleteUser(c.var.scope, idParam("userId", c.req.param("userId")));
    return empty();
  },
);
