// The FusionAuth User API subset: create, retrieve, replace, merge, delete, and the admin unlock.
import { Hono } from "hono";
import { invalidField } from "../domain/failures";
import { createUser, deleteUser, findUser, getUser, unlockUser, updateUser } from "../services/users";
import { requireApiKey, requireApiKeyOrJwt } from "./http/auth";
import type { AppEnv } from "./http/context";
import { empty } from "./http/respond";
import { userRequest } from "./http/requests";
import { idParam, readJson } from "./http/validate";

export const userRoutes = new Hono<AppEnv>()
  .post("/user/:userId?", requireApiKey, async (c) => {
    const userId = c.req.param("userId") ? idParam("userId", c.req.param("userId")) : undefined;
    const { user } = await readJson(c, userRequest);
    return c.json({ user: await createUser(c.var.scope, userId, user, c.var.tenantId) });
  })
  .get("/user/:userId", requireApiKey, async (c) => c.json({ user: await getUser(c.var.scope, idParam("userId", c.req.param("userId"))) }))
  .get("/user", requireApiKeyOrJwt, async (c) => {
    const auth = c.var.auth;
    if (auth.kind === "jwt") return c.json({ user: await getUser(c.var.scope, auth.userId, auth.issuedAt) });
    const { email, username, loginId } = c.req.query();
    const [kind, value] = email ? (["email", email] as const) : username ? (["username", username] as const) : loginId ? (["loginId", loginId] as const) : [];
    if (!kind) throw invalidField("email", "blank", "Provide an [email], [username] or [loginId] query parameter.");
    return c.json({ user: await findUser(c.var.scope, kind, value) });
  })
  .on(["PUT", "PATCH"], "/user/:userId", requireApiKey, async (c) => {
    const userId = idParam("userId", c.req.param("userId"));
    const { user } = await readJson(c, userRequest);
    return c.json({ user: await updateUser(c.var.scope, userId, user, c.req.method === "PUT") });
  })
  // Lifts every login lock of the user: an explicit admin call for what FusionAuth does by cancelling
  // the Prevent Login user action.
  .post("/user/unlock/:userId", requireApiKey, async (c) => {
    await unlockUser(c.var.scope, idParam("userId", c.req.param("userId")));
    return empty();
  })
  .delete("/user/:userId", requireApiKey, async (c) => {
    await deleteUser(c.var.scope, idParam("userId", c.req.param("userId")));
    return empty();
  });
