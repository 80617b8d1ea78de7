// The FusionAuth User API subset (SPEC §2): create, retrieve, replace, merge, delete. Passwords are
// write-only; the 2FA fields follow REF §9.
import { Hono } from "hono";
import { z } from "zod";
import { emptyError, fieldError } from "../domain/errors";
import { hashPassword } from "../domain/password";
import { createAccount, deleteAccount, loadAccount, updateAccount } from "../storage/accounts";
import { publicUser, userRepository, type UserRecord } from "../storage/users";
import { requireApiKey, requireApiKeyOrJwt } from "./auth";
import type { AppEnv } from "./context";
import { applyProfile, applyTwoFactor, checkDataSize, DEFAULT_TENANT_ID, requireLoginId, userFields } from "./user-fields";
import { idParam, readJson } from "./validate";

const userRequest = z.object({ user: userFields });

export const userRoutes = new Hono<AppEnv>()
  .post("/user/:userId?", requireApiKey, async (c) => {
    const userId = c.req.param("userId") ? idParam("userId", c.req.param("userId")) : crypto.randomUUID();
    const { user: input } = await readJson(c, userRequest);
    if (!input.password) throw fieldError("user.password", "blank", "The [user.password] property is required.");
    const now = Date.now();
    const user: UserRecord = {
      id: userId,
      // As in FusionAuth, the tenant header (what a tenant-scoped client sends) decides.
      tenantId: c.var.tenantId ?? input.tenantId ?? DEFAULT_TENANT_ID,
      active: true,
      verified: true,
      passwordChangeRequired: false,
      insertInstant: now,
      lastUpdateInstant: now,
      passwordLastUpdateInstant: now,
      password: await hashPassword(input.password, c.var.config.passwordFactor),
      twoFactorEnabled: false,
      twoFactorDelivery: "None",
    };
    applyProfile(user, input, true);
    requireLoginId(user);
    checkDataSize(user);
    await applyTwoFactor(c.env, user, undefined, input);
    await createAccount(c.env, user);
    return c.json({ user: publicUser(user) });
  })
  .get("/user/:userId", requireApiKey, async (c) => {
    const user = await loadAccount(c.env, idParam("userId", c.req.param("userId")));
    if (!user) throw emptyError(404);
    return c.json({ user: publicUser(user) });
  })
  .get("/user", requireApiKeyOrJwt, async (c) => {
    const auth = c.var.auth;
    const userId = auth.kind === "jwt" ? auth.userId : await findUserId(c.env, c.req.query());
    const user = userId ? await loadAccount(c.env, userId) : null;
    if (!user) throw emptyError(404);
    return c.json({ user: publicUser(user) });
  })
  .on(["PUT", "PATCH"], "/user/:userId", requireApiKey, async (c) => {
    const previous = await loadAccount(c.env, idParam("userId", c.req.param("userId")));
    if (!previous) throw emptyError(404);
    const { user: input } = await readJson(c, userRequest);
    const now = Date.now();
    const user: UserRecord = { ...previous, lastUpdateInstant: now };
    applyProfile(user, input, c.req.method === "PUT");
    if (input.password) {
      user.password = await hashPassword(input.password, c.var.config.passwordFactor);
      user.passwordLastUpdateInstant = now;
    }
    requireLoginId(user);
    checkDataSize(user);
    await applyTwoFactor(c.env, user, previous, input);
    await updateAccount(c.env, previous, user);
    return c.json({ user: publicUser(user) });
  })
  .delete("/user/:userId", requireApiKey, async (c) => {
    const user = await loadAccount(c.env, idParam("userId", c.req.param("userId")));
    if (!user) throw emptyError(404);
    await deleteAccount(c.env, user);
    return new Response(null, { status: 200 });
  });

async function findUserId(env: Env, query: Record<string, string>): Promise<string | null> {
  const users = userRepository(env.KV);
  if (query.email) return users.idBy("email", query.email);
  if (query.username) return users.idBy("username", query.username);
  if (query.loginId) return users.idByLoginId(query.loginId);
  throw fieldError("email", "blank", "Provide an [email], [username] or [loginId] query parameter.");
}
