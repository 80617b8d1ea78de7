// The limits in front of every code email (src/services/shared/email-guard.ts), asked as the email
// services ask them: each refuses at its number with its Retry-After, a refusal gives back what it
// took and counts nothing else, and its log line and event hold the address masked, never in full.
//
// Storage is shared by the file: every test runs in a clock hour of its own (the request's time is
// the scope's), to addresses in a domain of its own.
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { parseConfig, type ConfigVars } from "../../src/domain/config";
import type { EventMessage } from "../../src/domain/events";
import { Failure } from "../../src/domain/failures";
import { HOUR_MS, hourOf, type TextClient } from "../../src/domain/sms-guard";
import { writeWebhooks } from "../../src/kv/webhooks";
import { budgetThrottle } from "../../src/objects/phone-throttle";
import { admitEmail } from "../../src/services/shared/email-guard";
import { newScope } from "../../src/services/shared/scope";
import { captureConsole, subscribedTo } from "../helpers";

/** The first instant of test `n`'s own clock hour, far from any other file's. */
const hourStart = (n: number) => (hourOf(Date.now()) + 20_000 + n) * HOUR_MS;
const SECOND = 1000;

let events: EventMessage[] = [];
let started: Promise<unknown>[] = [];

beforeEach(async () => {
  events = [];
  started = [];
  vi.spyOn(env.EVENTS, "sendBatch").mockImplementation(async (messages) => {
    for (const message of messages) events.push(message.body as EventMessage);
    return { metadata: {} } as QueueSendBatchResponse;
  });
  await writeWebhooks(env.KV, [subscribedTo("email.refused")]);
});

afterEach(async () => {
  vi.restoreAllMocks();
  await writeWebhooks(env.KV, []);
});

/** A domain no other test mails. */
const newDomain = () => `${crypto.randomUUID().slice(0, 8)}.example`;

const endUser = (ip: string): TextClient => ({ kind: "end-user", ip });

/**
 * Asks the limits for an email to `email` at `nowMs`, with the Worker vars `vars`: `"sent"`, or the
 * refusal's Retry-After (it answers 429 [TooManyRequests] with it, src/routes/http/respond.ts).
 */
async function admit(nowMs: number, email: string, options: { purpose?: string; client?: TextClient; vars?: ConfigVars } = {}): Promise<"sent" | number> {
  const scope = { ...newScope(env, { waitUntil: (promise: Promise<unknown>) => void started.push(promise) }, nowMs), config: parseConfig(options.vars ?? {}) };
  try {
    await admitEmail(scope, { email, purpose: options.purpose ?? "login:first", client: options.client ?? endUser("203.0.113.7") });
    return "sent";
  } catch (error) {
    if (error instanceof Failure && error.problem.kind === "too-many") return error.problem.retryAfterSeconds;
    throw error;
  }
}

/** The `email.refused` lines among `lines`, parsed. */
const refusalLines = (lines: string[]) => lines.filter((line) => line.includes('"email.refused"')).map((line) => JSON.parse(line) as Record<string, unknown>);

/** The events the refusals so far sent to the webhook, once their background work is done. */
async function refusalEvents() {
  await Promise.all(started);
  return events.map((message) => message.event);
}

describe("per address", () => {
  it("refuses the 11th email to one address within an hour (EMAIL_MAX_PER_ADDRESS_PER_HOUR), until the first is an hour old, whatever its spelling", async () => {
    const lines = captureConsole();
    const t0 = hourStart(1) + 5 * SECOND;
    const domain = newDomain();
    const address = `jo.doe@${domain}`;
    for (let minute = 0; minute < 10; minute += 1) expect(await admit(t0 + minute * 60 * SECOND, address, { purpose: `login:${minute}` })).toBe("sent");

    const later = t0 + 10 * 60 * SECOND;
    expect(await admit(later, address, { purpose: "login:10" })).toBe(3000);
    // Case and a subaddress (RFC 5233) reach the same mailbox: no more codes for them.
    expect(await admit(later, `Jo.Doe+again@${domain.toUpperCase()}`, { purpose: "login:11" })).toBe(3000);
    // Another address of the domain is not held back.
    expect(await admit(later, `ann@${domain}`, { purpose: "login:10" })).toBe("sent");
    // An hour after the first, one more.
    expect(await admit(t0 + HOUR_MS, address, { purpose: "login:12" })).toBe("sent");
    expect(await admit(t0 + HOUR_MS, address, { purpose: "login:13" })).toBe(60);

    expect(refusalLines(lines).map((line) => line.reason)).toEqual(["address", "address", "address"]);
  });

  it("spaces the emails for one purpose (EMAIL_MIN_INTERVAL_SECONDS), not those for different purposes", async () => {
    const t0 = hourStart(2) + 5 * SECOND;
    const address = `jo@${newDomain()}`;
    expect(await admit(t0, address, { purpose: "enable:user-1" })).toBe("sent");
    expect(await admit(t0 + 10 * SECOND, address, { purpose: "enable:user-1" })).toBe(20);
    expect(await admit(t0 + 10 * SECOND, address, { purpose: "login:abc" })).toBe("sent");
    expect(await admit(t0 + 29 * SECOND, address, { purpose: "enable:user-1" })).toBe(1);
    expect(await admit(t0 + 30 * SECOND, address, { purpose: "enable:user-1" })).toBe("sent");

    const vars = { EMAIL_MIN_INTERVAL_SECONDS: "90" };
    expect(await admit(t0 + 31 * SECOND, address, { purpose: "user:user-1", vars })).toBe("sent");
    expect(await admit(t0 + 32 * SECOND, address, { purpose: "user:user-1", vars })).toBe(89);
  });
});

describe("per domain", () => {
  it("refuses the email past EMAIL_MAX_PER_DOMAIN_PER_HOUR to one domain's addresses, until its first is an hour old; other domains still get theirs", async () => {
    const lines = captureConsole();
    const t0 = hourStart(3) + 5 * SECOND;
    const domain = newDomain();
    const vars = { EMAIL_MAX_PER_DOMAIN_PER_HOUR: "5" };
    // A walk through the company's addresses, each from an address of its own.
    // One after another: asked at once, they would reach the domain's shard in any order.
    const outcomes: Array<"sent" | number> = [];
    for (let n = 0; n < 8; n++) outcomes.push(await admit(t0 + n * SECOND, `staff${n}@${domain}`, { client: endUser(`198.51.100.${n + 1}`), vars }));
    expect(outcomes).toEqual(["sent", "sent", "sent", "sent", "sent", 3600 - 5, 3600 - 6, 3600 - 7]);
    expect(await admit(t0 + 10 * SECOND, `staff0@${newDomain()}`, { vars })).toBe("sent");
    expect(refusalLines(lines).map((line) => [line.reason, line.domain])).toEqual(Array(3).fill(["domain", domain]));
  });

  it("defaults to a quarter of EMAIL_MAX_PER_HOUR, and follows it", () => {
    expect(parseConfig({}).email.guard).toMatchObject({
      maxPerDomainPerHour: 250,
      maxPerAddressPerHour: 10,
      minIntervalSeconds: 30,
      maxPerIpPerHour: 30,
      maxPerHour: 1000,
    });
    expect(parseConfig({ EMAIL_MAX_PER_HOUR: "5000" }).email.guard.maxPerDomainPerHour).toBe(1250);
    expect(parseConfig({ EMAIL_MAX_PER_HOUR: "5000", EMAIL_MAX_PER_DOMAIN_PER_HOUR: "40" }).email.guard.maxPerDomainPerHour).toBe(40);
  });
});

describe("per client", () => {
  it("refuses an end user's address past EMAIL_MAX_PER_IP_PER_HOUR until the next clock hour, every spelling of it one client", async () => {
    const lines = captureConsole();
    const t0 = hourStart(4) + 600 * SECOND;
    const vars = { EMAIL_MAX_PER_IP_PER_HOUR: "3" };
    const spellings = ["192.0.2.77", "::ffff:192.0.2.77", "[192.0.2.77]:443", " 192.0.2.77 "];
    const outcomes = [];
    for (const ip of spellings) outcomes.push(await admit(t0, `someone@${newDomain()}`, { client: endUser(ip), vars }));
    expect(outcomes).toEqual(["sent", "sent", "sent", 3000]);
    // Another client is not held back; the same one is again in the next clock hour.
    expect(await admit(t0, `someone@${newDomain()}`, { client: endUser("192.0.2.78"), vars })).toBe("sent");
    expect(await admit(hourStart(5), `someone@${newDomain()}`, { client: endUser("192.0.2.77"), vars })).toBe("sent");
    expect(refusalLines(lines).map((line) => line.reason)).toEqual(["ip"]);
  });

  it("counts a caller that reports no end user's address apart, under its own cap, and every address that is none as one client", async () => {
    const t0 = hourStart(6) + 5 * SECOND;
    const vars = { EMAIL_MAX_PER_IP_PER_HOUR: "1", EMAIL_MAX_PER_CALLER_PER_HOUR: "2", EMAIL_MAX_PER_UNPARSEABLE_IP_PER_HOUR: "2" };
    const caller: TextClient = { kind: "caller", ip: "192.0.2.10" };
    expect(await admit(t0, `a@${newDomain()}`, { client: endUser("192.0.2.10"), vars })).toBe("sent");
    expect(await admit(t0, `b@${newDomain()}`, { client: caller, vars })).toBe("sent");
    expect(await admit(t0, `c@${newDomain()}`, { client: caller, vars })).toBe("sent");
    expect(await admit(t0, `d@${newDomain()}`, { client: caller, vars })).toBe(3595);
    expect(await admit(t0, `e@${newDomain()}`, { client: endUser("unknown"), vars })).toBe("sent");
    expect(await admit(t0, `f@${newDomain()}`, { client: endUser("a, b"), vars })).toBe("sent");
    expect(await admit(t0, `g@${newDomain()}`, { client: { kind: "end-user", ip: undefined }, vars })).toBe(3595);
    // The caller's cap defaults to half of the hour's budget, as for texts.
    expect(parseConfig({ EMAIL_MAX_PER_HOUR: "300" }).email.guard).toMatchObject({ maxPerCallerPerHour: 150, maxPerUnparseableIpPerHour: 30 });
  });
});

describe("the hour's budget", () => {
  it("refuses every email past EMAIL_MAX_PER_HOUR until the next clock hour, counted exactly", async () => {
    const lines = captureConsole();
    const t0 = hourStart(7) + 100 * SECOND;
    const vars = { EMAIL_MAX_PER_HOUR: "4" };
    const outcomes = [];
    for (let n = 0; n < 6; n += 1) outcomes.push(await admit(t0 + n * SECOND, `u${n}@${newDomain()}`, { client: endUser(`203.0.113.${n + 1}`), vars }));
    expect(outcomes).toEqual(["sent", "sent", "sent", "sent", 3496, 3495]);
    expect(await admit(hourStart(8), `u9@${newDomain()}`, { vars })).toBe("sent");
    expect(refusalLines(lines).map((line) => line.reason)).toEqual(["budget", "budget"]);
  });

  it("is email's own: emails are counted in email's objects, not in the texts' budget or report", async () => {
    const t0 = hourStart(9) + 5 * SECOND;
    expect(await admit(t0, `jo@${newDomain()}`)).toBe("sent");
    const hour = hourOf(t0);
    expect(await budgetThrottle(env).figures(hour, hour)).toEqual([]);
    expect(await budgetThrottle(env, "email").figures(hour, hour)).toEqual([{ interval: hour, country: "email", sent: 1, refused: {} }]);
  });
});

describe("a refusal", () => {
  it("gives back what it took: an email the budget or the client's cap refused leaves its address and domain their sends", async () => {
    const t0 = hourStart(10) + 5 * SECOND;
    const domain = newDomain();
    const vars = { EMAIL_MAX_PER_IP_PER_HOUR: "1", EMAIL_MAX_PER_DOMAIN_PER_HOUR: "2", EMAIL_MAX_PER_ADDRESS_PER_HOUR: "1" };
    expect(await admit(t0, `first@${domain}`, { client: endUser("198.51.100.1"), vars })).toBe("sent");
    // Refused by the client's cap, after the domain's shard had taken a slot: three times.
    for (const _ of [1, 2, 3]) expect(await admit(t0, `second@${domain}`, { client: endUser("198.51.100.1"), vars })).toBe(3595);
    // The address (same purpose, same instant: no spacing) and the domain still have their sends.
    expect(await admit(t0, `second@${domain}`, { client: endUser("198.51.100.2"), vars })).toBe("sent");
  });

  it("counts nothing else: emails the domain refused spend no client's sends and none of the budget", async () => {
    const t0 = hourStart(11) + 5 * SECOND;
    const domain = newDomain();
    const vars = { EMAIL_MAX_PER_DOMAIN_PER_HOUR: "1", EMAIL_MAX_PER_IP_PER_HOUR: "3", EMAIL_MAX_PER_HOUR: "3" };
    expect(await admit(t0, `a@${domain}`, { vars })).toBe("sent");
    for (const local of ["b", "c", "d", "e"]) expect(await admit(t0, `${local}@${domain}`, { vars })).toBe(3600);
    // The client (the same address) and the budget have their other two sends left, and no more.
    expect(await admit(t0, `a@${newDomain()}`, { vars })).toBe("sent");
    expect(await admit(t0, `a@${newDomain()}`, { vars })).toBe("sent");
    expect(await admit(t0, `a@${newDomain()}`, { client: endUser("198.51.100.200"), vars })).toBe(3595);
    const hour = hourOf(t0);
    expect(await budgetThrottle(env, "email").figures(hour, hour)).toEqual([{ interval: hour, country: "email", sent: 3, refused: { budget: 1 } }]);
  });
});

describe("logs and events", () => {
  it("log one email.refused line and send one email.refused event per refusal, with the domain and the masked address, never the address", async () => {
    const lines = captureConsole();
    const t0 = hourStart(12) + 5 * SECOND;
    const domain = newDomain();
    const vars = { EMAIL_MAX_PER_DOMAIN_PER_HOUR: "2", EMAIL_MAX_PER_IP_PER_HOUR: "3", EMAIL_MAX_PER_HOUR: "4" };
    const userId = crypto.randomUUID();
    const asked: Array<[string, string, string]> = [
      // [address, purpose, client]
      ["josephine.doe@" + domain, `enable:${userId}`, "198.51.100.1"],
      ["josephine.doe@" + domain, `enable:${userId}`, "198.51.100.1"], // address (spacing)
      ["marc@" + domain, `user:${userId}`, "198.51.100.1"],
      ["xavier@" + domain, "login:k1", "198.51.100.2"], // domain
      ["zoe.quinn@" + newDomain(), "login:k2", "198.51.100.1"],
      ["yann@" + newDomain(), "login:k3", "198.51.100.1"], // ip
      ["wanda@" + newDomain(), "login:k4", "198.51.100.3"],
      ["vic@" + newDomain(), "login:k5", "198.51.100.4"], // budget
    ];
    const outcomes = [];
    for (const [email, purpose, ip] of asked) outcomes.push(await admit(t0, email, { purpose, client: endUser(ip), vars }));
    expect(outcomes.map((outcome) => (outcome === "sent" ? "sent" : "refused"))).toEqual([
      "sent",
      "refused",
      "sent",
      "refused",
      "sent",
      "refused",
      "sent",
      "refused",
    ]);

    const refusals = refusalLines(lines);
    expect(refusals).toEqual([
      { event: "email.refused", reason: "address", domain, address: `j•••@${domain}`, purpose: "enable" },
      { event: "email.refused", reason: "domain", domain, address: `x•••@${domain}`, purpose: "login" },
      { event: "email.refused", reason: "ip", domain: asked[5]![0].split("@")[1], address: `y•••@${asked[5]![0].split("@")[1]}`, purpose: "login" },
      { event: "email.refused", reason: "budget", domain: asked[7]![0].split("@")[1], address: `v•••@${asked[7]![0].split("@")[1]}`, purpose: "login" },
    ]);
    const sent = await refusalEvents();
    expect(sent.map((event) => [event.type, event.info])).toEqual(refusals.map(({ event, ...info }) => [event, info]));
    expect(sent.every((event) => event.userId === undefined)).toBe(true);

    // Nothing logged or sent holds an address asked for, its local part, or the user.
    const everything = [...lines, ...sent.map((event) => JSON.stringify(event))].join("\n");
    for (const [email] of asked) {
      expect(everything).not.toContain(email);
      expect(everything).not.toContain(email.split("@")[0]);
    }
    expect(everything).not.toContain(userId);
  });
});
