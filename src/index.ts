import { Hono } from "hono";
import { DurableObject } from "cloudflare:workers";
const app = new Hono<{ Bindings: Env }>();
app.get("/api/status", (c) => c.json({ status: "ok" }));
export class UserGuard extends DurableObject<Env> { async ping() { return 1; } }
export class LoginChallenge extends DurableObject<Env> { async ping() { return 1; } }
export class IdentifierClaim extends DurableObject<Env> { async ping() { return 1; } }
export default app;
