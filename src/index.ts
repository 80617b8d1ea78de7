import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { EventMessage } from "./domain/events";
import { keyRotationRoutes } from "./routes/key-rotation";
import { checkSweep, consumeSweep, KEY_ROTATION_QUEUE, type SweepMessage } from "./services/key-rotation";
import { fail } from "./domain/failures";
import type { AppEnv } from "./routes/http/context";
import { requestContext } from "./routes/http/context";
import { demoRoutes } from "./routes/demo";
import { emailOutboxRoutes } from "./routes/email-outbox";
import { integrationRoutes } from "./routes/integrations";
import { loginRoutes } from "./routes/login";
import { loginRecordRoutes } from "./routes/login-records";
import { openApiRoutes } from "./routes/openapi";
import { empty, errorResponse } from "./routes/http/respond";
import { recoveryCodeRoutes } from "./routes/recovery-codes";
import { smsReportRoutes } from "./routes/sms-report";
import { statusRoutes } from "./routes/status";
import { trustRoutes } from "./routes/trust";
import { twoFactorRoutes } from "./routes/two-factor";
import { userExportRoutes } from "./routes/user-export";
import { userImportRoutes } from "./routes/user-import";
import { userRoutes } from "./routes/users";
import { webhookRoutes } from "./routes/webhooks";
import { consumeEvents } from "./services/webhook-delivery";

export { IdentifierClaim } from "./objects/identifier-claim";
export { PhoneThrottle } from "./objects/phone-throttle";
export { UserGuard } from "./objects/user-guard";

const MAX_BODY_BYTES = 1024 * 1024;

const app = new Hono<AppEnv>()
  .use(requestContext)
  .use(
    "/api/*",
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw fail({ kind: "too-large", message: `The request body must be at most ${MAX_BODY_BYTES} bytes.` });
      },
    }),
  )
  .route("/api", statusRoutes)
  // A person who opens the server's address learns where to go.
  .get("/", (c) => c.json({ status: "/api/status", openapi: "/api/openapi.json", demo: "/demo (when DEMO_ENABLED is true)" }))
  // Before the two-factor routes, whose `/user/two-factor/:userId` would take `recovery-code` and `trust` for ids.
  .route("/api", recoveryCodeRoutes)
  .route("/api", trustRoutes)
  .route("/api", twoFactorRoutes)
  .route("/api", loginRoutes)
  .route("/api", userImportRoutes)
  .route("/api", userRoutes)
  .route("/api", integrationRoutes)
  .route("/api", loginRecordRoutes)
  .route("/api", smsReportRoutes)
  .route("/api", keyRotationRoutes)
  .route("/api", userExportRoutes)
  .route("/api", emailOutboxRoutes)
  .route("/api", webhookRoutes)
  .route("/api", openApiRoutes)
  .route("/demo", demoRoutes);

app.onError(errorResponse);
app.notFound(() => empty(404));

// HTTP through Hono; `queue` consumes the webhook events and their dead letters (src/services/webhook-delivery.ts)
// and the key-rotation sweep's pages; `scheduled` starts or resumes that sweep (src/services/key-rotation.ts).
export default Object.assign(app, {
  queue: (batch: MessageBatch<EventMessage | SweepMessage>, env: Env) =>
    batch.queue === KEY_ROTATION_QUEUE ? consumeSweep(batch as MessageBatch<SweepMessage>, env) : consumeEvents(batch as MessageBatch<EventMessage>, env),
  scheduled: (_controller: ScheduledController, env: Env, ctx: ExecutionContext) => ctx.waitUntil(checkSweep(env, Date.now())),
}) satisfies ExportedHandler<Env, EventMessage | SweepMessage>;
