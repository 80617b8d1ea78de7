// The FusionAuth User API subset: create, retrieve, replace, merge, delete. Passwords are
// write-only; the legacy 2FA fields follow FusionAuth's rules before 1.26.
import { Hono } from "hono";
import { fail, invalidField } from "../domain/failures";
import { hashPassword } from "../crypto/password";
import { sealTwoFactorKey } from "../crypto/keyring";
import { newTotpSecret } from "../crypto/random";
import { applyProfile, applyTwoFactor, checkDataSize, DEFAULT_TENANT_ID, requireLoginId } from "../domain/user-input";
import type { UserRecord } from "../domain/user";
import { checkMobilePhone, createUser, deleteUser, findUser, getUser, unlockUser, updateUser } from "../services/accounts";
import { emit } from "../services/shared/events";
import { requireApiKey, requireApiKeyOrJwt } from "./http/auth";
import type { AppEnv } from "./http/context";
import { userRequest } from "./http/requests";
import { idParam, readJson } from "./http/validate";

const found = <T>(value: T | null): T => {
  if (!value) throw fail({ kind: "not-found" });
  return value;
};

export const userRoutes = new Hono<AppEnv>()
  .post("/user/:userId?", requireApiKey, async (c) => {
    const userId = c.req.param("userId") ? idParam("userId", c.req.param("userId")) : crypto.randomUUID();
    const { user: input } = await readJson(c, userRequest);
    if (!input.password) throw invalidField("user.password", "blank", "The [user.password] property is required.");
    checkMobilePhone(c.var.scope.config, input.mobilePhone);
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
      password: await hashPassword(input.password, c.var.scope.config.passwordFactor),
      twoFactorEnabled: false,
      twoFactorDelivery: "None",
    };
    applyProfile(user, input, true);
    requireLoginId(user);
    checkDataSize(user);
    const key = applyTwoFactor(user, undefined, input, newTotpSecret().secret);
    if (key) user.twoFactorSecret = await sealTwoFactorKey(c.env.ENCRYPTION_KEY, user.id, key);
    const created = await createUser(c.env, user);
    // The User API's create and delete announce themselves; an import (FusionAuth: no user.create) does not.
    emit(c.env, c.var.scope.background, { type: "user.create", user: created, info: {} });
    return c.json({ user: created });
  })
  .get("/user/:userId", requireApiKey, async (c) => c.json({ user: found(await getUser(c.env, idParam("userId", c.req.param("userId")))) }))
  .get("/user", requireApiKeyOrJwt, async (c) => {
    const auth = c.var.auth;
    if (auth.kind === "jwt") return c.json({ user: found(await getUser(c.env, auth.userId, auth.issuedAt)) });
    const { email, username, loginId } = c.req.query();
    const [kind, value] = email ? (["email", email] as const) : username ? (["username", username] as const) : loginId ? (["loginId", loginId] as const) : [];
    if (!kind) throw invalidField("email", "blank", "Provide an [email], [username] or [loginId] query parameter.");
    return c.json({ user: found(await findUser(c.env, kind, value)) });
  })
  .on(["PUT", "PATCH"], "/user/:userId", requireApiKey, async (c) => {
    const userId = idParam("userId", c.req.param("userId"));
    const { user: input } = await readJson(c, userRequest);
    checkMobilePhone(c.var.scope.config, input.mobilePhone);
    return c.json({ user: await updateUser(c.env, c.var.scope.config, userId, input, c.req.method === "PUT", Date.now(), c.var.scope.background) });
  })
  // Lifts every login lock of the user: an explicit admin call for what FusionAuth does by cancelling
  // the Prevent Login user action.
  .post("/user/unlock/:userId", requireApiKey, async (c) => {
    await unlockUser(c.env, idParam("userId", c.req.param("userId")));
    return new Response(null, { status: 200 });
  })
  .delete("/user/:userId", requireApiKey, async (c) => {
    const deleted = await deleteUser(c.env, idParam("userId", c.req.param("userId")));
    emit(c.env, c.var.scope.background, { type: "user.delete", user: deleted, info: {} });
    return new Response(null, { status: 200 });
  });
