// A scripted SMS pumping run (issue #15), with the default limits: an attacker holding accounts whose
// phones are in one number range, or in foreign countries, logs them in again and again and asks for
// every resend a login allows, from many client addresses or from one. Each run is stopped at the
// documented limit (README.md, "SMS fraud defence"), and a legitimate user in another range, in an
// allowed country, still gets every code.
//
// Every test runs in a clock hour of its own and uses numbers no other test uses (storage is shared
// by the file). Unassigned and personal numbers are refused, as in production (vitest.config.ts
// allows them for the other suites).
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { DEFAULTS } from "../../src/domain/config";
import { HOUR_MS, hourOf, NUMBER_CLASSES } from "../../src/domain/sms-guard";
import { call, captureConsole, createTextMessageUser, jsonBody, newSecret } from "../helpers";
import { messagesTo, rangesInOneShard, secondsToNextHour, smsHourOfItsOwn, type FakeTwilioServer } from "../twilio-fake";

type Vars = Partial<Record<keyof Env, string>>;
type User = { email: string; password: string };
type Errors = { generalErrors?: Array<{ code: string; message: string }> };

const PRODUCTION: Vars = { SMS_ALLOW_UNASSIGNED_NUMBERS: "false", SMS_REFUSED_NUMBER_TYPES: NUMBER_CLASSES.join(",") };
/** A login's text and the resends it allows (SMS_MAX_PER_CHALLENGE). */
const SENDS_PER_LOGIN = DEFAULTS.smsMaxPerChallenge;

let fake: FakeTwilioServer;

beforeEach(async () => {
  fake = await smsHourOfItsOwn();
});

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

/** Past the 30 s spacing of one login's texts. */
const nextRound = () => vi.setSystemTime(Date.now() + (DEFAULTS.smsMinIntervalSeconds + 1) * 1000);

/** The application logs its user in with its API key and vouches for the user's address. */
async function login(user: User, ipAddress: string, vars: Vars = {}): Promise<string> {
  const response = await call("POST", "/api/login", { body: { loginId: user.email, password: user.password, ipAddress }, vars: { ...PRODUCTION, ...vars } });
  // A refused login text never changes the answer: the password step succeeded.
  expect(response.status).toBe(242);
  return (await jsonBody<{ twoFactorId: string }>(response)).twoFactorId;
}

/** The browser asks for another text: no API key, from `ip`. */
const resend = (twoFactorId: string, ip: string, vars: Vars = {}) =>
  call("POST", `/api/two-factor/send/${twoFactorId}`, {
    apiKey: null,
    headers: { "Content-Type": "text/plain", "CF-Connecting-IP": ip },
    vars: { ...PRODUCTION, ...vars },
  });

/** What a resend answered: `200`, `429 <Retry-After>` (`429 next hour` when it is the seconds to the next clock hour) or `400 [code]`. */
async function outcome(response: Response): Promise<string> {
  if (response.status === 200) return "200";
  if (response.status === 429) {
    const retryAfter = Number(response.headers.get("Retry-After"));
    return retryAfter === secondsToNextHour() ? "429 next hour" : `429 ${retryAfter}`;
  }
  return `${response.status} ${(await jsonBody<Errors>(response)).generalErrors?.map((error) => error.code).join()}`;
}

/**
 * The attacker's run: every user logged in (from `ipOf(index)`), then every resend the login allows,
 * 31 s apart. Answers the refused resends' outcomes.
 */
async function pump(users: User[], ipOf: (index: number) => string, vars: Vars = {}): Promise<string[]> {
  const twoFactorIds: string[] = [];
  for (const [index, user] of users.entries()) twoFactorIds.push(await login(user, ipOf(index), vars));
  const refused: string[] = [];
  for (let round = 1; round < SENDS_PER_LOGIN; round += 1) {
    nextRound();
    for (const [index, twoFactorId] of twoFactorIds.entries()) {
      const answer = await outcome(await resend(twoFactorId, ipOf(index), vars));
      if (answer !== "200") refused.push(answer);
    }
  }
  return refused;
}

/** A legitimate user, elsewhere: the login's text and a resend both arrive. */
async function expectCodesFor(phone: string, e164: string, ip: string, vars: Vars = {}) {
  const user = await createTextMessageUser(phone);
  const twoFactorId = await login(user, ip, vars);
  nextRound();
  expect(await outcome(await resend(twoFactorId, ip, vars))).toBe("200");
  expect(messagesTo(fake, e164)).toHaveLength(2);
}

async function reportTotal(): Promise<{ sent: number; refused: Record<string, number> }> {
  const response = await call("GET", `/api/system/sms-report?start=${hourOf(Date.now()) * HOUR_MS}&end=${Date.now()}`);
  return (await jsonBody<{ total: { sent: number; refused: Record<string, number> } }>(response)).total;
}

const refusalLines = (lines: string[]) => lines.filter((line) => line.includes('"sms.refused"')).map((line) => JSON.parse(line) as Record<string, unknown>);

const users = (phones: string[]) => Promise.all(phones.map((phone) => createTextMessageUser(phone)));

describe("a pumping run", () => {
  it(`against one number range, from a new address for every account, is stopped at ${DEFAULTS.smsMaxPerRangePerHour} texts an hour`, async () => {
    const lines = captureConsole();
    // 15 accounts in +1 206 410 0xxx: 75 texts asked for, 5 per number (under the 10 a number may get).
    const attackers = await users(Array.from({ length: 15 }, (_, n) => `+1 206 410 ${String(100 + n).padStart(4, "0")}`));
    const refused = await pump(attackers, (index) => `203.0.113.${index + 1}`);

    const rangeTexts = fake.messages.filter((message) => message.to.startsWith("+12064100"));
    expect(rangeTexts).toHaveLength(DEFAULTS.smsMaxPerRangePerHour);
    expect(refused).toHaveLength(15 * SENDS_PER_LOGIN - DEFAULTS.smsMaxPerRangePerHour);
    // Retry-After: until the range's first text of the hour is an hour old.
    for (const answer of refused) expect(answer).toMatch(/^429 3\d{3}$/);

    const logged = refusalLines(lines);
    expect(logged).toHaveLength(refused.length);
    for (const line of logged) expect(line).toEqual({ event: "sms.refused", reason: "range", country: "US", range: "+12064100xxx", purpose: "login" });
    expect(lines.join("\n")).not.toMatch(/2064100[0-9]{3}/);

    await expectCodesFor("+1 206 411 0142", "+12064110142", "203.0.113.200");
    expect(await reportTotal()).toEqual({ sent: DEFAULTS.smsMaxPerRangePerHour + 2, refused: { range: refused.length } });
  }, 30_000);

  it(`from one client address, towards many ranges, is stopped at ${DEFAULTS.smsMaxPerIpPerHour} texts an hour`, async () => {
    const attacker = "198.51.100.66";
    // 10 accounts in 10 ranges: 50 texts asked for from one address, none of the ranges near its cap.
    const attackers = await users(Array.from({ length: 10 }, (_, n) => `+1 206 42${n} 0142`));
    const refused = await pump(attackers, () => attacker);

    const texted = fake.messages.filter((message) => message.to.startsWith("+120642"));
    expect(texted).toHaveLength(DEFAULTS.smsMaxPerIpPerHour);
    expect(refused).toEqual(Array(10 * SENDS_PER_LOGIN - DEFAULTS.smsMaxPerIpPerHour).fill("429 next hour"));

    // A login without the application (LOGIN_REQUIRES_API_KEY=false) counts the connecting address: no text either.
    const direct = { LOGIN_REQUIRES_API_KEY: "false" };
    const another = await createTextMessageUser("+1 206 430 0142");
    const response = await call("POST", "/api/login", {
      apiKey: null,
      body: { loginId: another.email, password: another.password },
      headers: { "CF-Connecting-IP": attacker },
      vars: { ...PRODUCTION, ...direct },
    });
    expect(response.status).toBe(242);
    expect(messagesTo(fake, "+12064300142")).toHaveLength(0);

    await expectCodesFor("+1 206 431 0142", "+12064310142", "198.51.100.67");
    expect(await reportTotal()).toEqual({ sent: DEFAULTS.smsMaxPerIpPerHour + 2, refused: { ip: refused.length + 1 } });
  }, 30_000);

  it("through the enrolment form, towards three area codes whose ranges are counted in one shard, leaves that shard's other ranges their codes", async () => {
    // Three ranges in three area codes, and a user's range, all counted by one phone-throttle shard.
    const ranges = await rangesInOneShard(["+1206", "+1312", "+1415", "+1617"]);
    const secret = await newSecret();
    // 21 numbers in each range (under its 30 an hour), each texted once: 63 texts, all sent.
    for (const range of ranges.slice(0, 3))
      for (let line = 100; line < 121; line += 1) {
        const response = await call("POST", "/api/two-factor/send", { body: { mobilePhone: `${range}${line}`, secret }, vars: PRODUCTION });
        expect(response.status, `${range}${line}`).toBe(200);
      }
    expect(fake.messages).toHaveLength(63);

    const user = ranges[3]!;
    await expectCodesFor(`${user}142`, `${user}142`, "203.0.113.250");
    expect(await reportTotal()).toEqual({ sent: 65, refused: {} });
  }, 30_000);

  it("towards foreign countries and premium-rate or satellite numbers sends nothing at all", async () => {
    const lines = captureConsole();
    const attackers = await users([
      "+44 7912 300456", // GB
      "+1 876 210 1234", // Jamaica, in the North American Numbering Plan
      "+33 6 12 34 56 79", // France
      "+234 803 123 4567", // Nigeria
      "+1 900 234 5679", // NANP premium rate
      "+881 6 1234 5679", // Iridium
    ]);
    const refused = await pump(attackers, (index) => `192.0.2.${index + 1}`);

    expect(fake.messages).toHaveLength(0);
    const perAccount = (code: string) => Array(SENDS_PER_LOGIN - 1).fill(`400 [${code}]`);
    expect(refused.sort()).toEqual(
      [...Array(4).fill(perAccount("PhoneCountryNotAllowed")), ...Array(2).fill(perAccount("PhoneNumberTypeNotAllowed"))].flat().sort(),
    );
    expect(new Set(refusalLines(lines).map((line) => line.country))).toEqual(new Set(["GB", "JM", "FR", "NG", "US", "+881"]));

    await expectCodesFor("+1 206 440 0142", "+12064400142", "192.0.2.100");
    expect(await reportTotal()).toEqual({ sent: 2, refused: { country: 4 * SENDS_PER_LOGIN, "number-type": 2 * SENDS_PER_LOGIN } });
  }, 30_000);

  it(`towards a foreign country that is allowed, is stopped at that country's budget (${DEFAULTS.smsMaxPerOtherCountryPerHour} an hour)`, async () => {
    const withGb = { SMS_ALLOWED_COUNTRIES: "US,GB" };
    // 40 accounts in 40 ranges of +44 7912, from 40 addresses: 200 texts asked for.
    const attackers = await users(Array.from({ length: 40 }, (_, n) => `+44 7912 ${300 + n}456`));
    const refused = await pump(attackers, (index) => `192.0.2.${index + 1}`, withGb);

    const toGb = fake.messages.filter((message) => message.to.startsWith("+44"));
    // Exactly the budget, however the ranges spread over the throttle's shards.
    expect(toGb).toHaveLength(DEFAULTS.smsMaxPerOtherCountryPerHour);
    expect(refused.length).toBeGreaterThan(0);
    const total = await reportTotal();
    // The login texts refused at the budget are counted too (the 242 does not show them).
    expect(total).toEqual({ sent: toGb.length, refused: { "country-budget": 40 * SENDS_PER_LOGIN - toGb.length } });
    expect(new Set(refused)).toEqual(new Set(["429 next hour"]));

    await expectCodesFor("+1 206 450 0142", "+12064500142", "192.0.2.200", withGb);

    // The next clock hour, the country's budget is there again.
    vi.setSystemTime((hourOf(Date.now()) + 1) * HOUR_MS + 10_000);
    const before = messagesTo(fake, "+447912300456").length;
    await login(attackers[0]!, "192.0.2.1", withGb);
    expect(messagesTo(fake, "+447912300456")).toHaveLength(before + 1);
  }, 60_000);
});
