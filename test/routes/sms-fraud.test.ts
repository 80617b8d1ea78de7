// The SMS toll-fraud guard (issues #15 and #24): premium-rate, shared-cost, satellite,
// non-geographic, toll-free and personal numbers, unassigned numbers and countries outside
// SMS_ALLOWED_COUNTRIES are refused before Twilio on every path that texts; number ranges, clients,
// countries and the service as a whole have hourly caps (429 + Retry-After), the shared ones counted
// exactly; every spelling of a client address is one client, and what is no address one shared
// client; no spelling of a number gets round any of them; a refused
// send changes nothing but the figures; every refusal is one log line without the number; the
// operators' report adds it all up.
//
// Every test runs in a clock hour of its own (the budgets and the figures count per clock hour, and
// storage is shared by the file) and uses numbers no other test uses. The settings are the
// defaults, except that vitest.config.ts lets the other suites text unassigned numbers and Twilio's
// personal test numbers: here they are refused, as in production, and a test changes a setting for
// its requests with `vars`.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { HOUR_MS, hourOf, NUMBER_CLASSES } from "../../src/domain/sms-guard";
import { openApiDocument } from "../../src/routes/http/openapi-document";
import { accessToken, call, captureConsole, createTextMessageUser, createUser, jsonBody, newSecret } from "../helpers";
import { messagesTo, secondsToNextHour, smsHourOfItsOwn, type FakeTwilioServer } from "../twilio-fake";

type Errors = { generalErrors?: Array<{ code: string; message: string }>; fieldErrors?: Record<string, Array<{ code: string; message: string }>> };
type Vars = Partial<Record<keyof Env, string>>;
type Report = {
  hourlyCounts: Array<{ interval: number; country: string; sent: number; refused: Record<string, number> }>;
  total: { sent: number; refused: Record<string, number> };
};

const PRODUCTION: Vars = { SMS_ALLOW_UNASSIGNED_NUMBERS: "false", SMS_REFUSED_NUMBER_TYPES: NUMBER_CLASSES.join(",") };

let fake: FakeTwilioServer;
let secret: string;

beforeEach(async () => {
  // 100 hours apart: some tests move on an hour, and the report's default window is 24 hours.
  fake = await smsHourOfItsOwn();
  secret = await newSecret();
});

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

const advance = (seconds: number) => vi.setSystemTime(Date.now() + seconds * 1000);

/** The enrolment send (`{mobilePhone, secret}`, API key). */
const enrol = (mobilePhone: string, vars: Vars = {}, headers?: Record<string, string>) =>
  call("POST", "/api/two-factor/send", { body: { mobilePhone, secret }, headers, vars: { ...PRODUCTION, ...vars } });

/** `POST /api/login` with the API key; `ipAddress` is the end user's, as the application vouches for it. */
const login = (user: { email: string; password: string }, vars: Vars = {}, extra: { ipAddress?: string; headers?: Record<string, string> } = {}) =>
  call("POST", "/api/login", {
    body: { loginId: user.email, password: user.password, ipAddress: extra.ipAddress },
    headers: extra.headers,
    vars: { ...PRODUCTION, ...vars },
  });

/** `POST /api/two-factor/send/{twoFactorId}` as a browser sends it: no API key, from `ip`. */
const resend = (twoFactorId: string, vars: Vars = {}, ip?: string) =>
  call("POST", `/api/two-factor/send/${twoFactorId}`, {
    apiKey: null,
    headers: { "Content-Type": "text/plain", ...(ip ? { "CF-Connecting-IP": ip } : {}) },
    vars: { ...PRODUCTION, ...vars },
  });

async function twoFactorIdOf(response: Response): Promise<string> {
  expect(response.status).toBe(242);
  return (await jsonBody<{ twoFactorId: string }>(response)).twoFactorId;
}

/** A 400 whose one general error is `code`; returns its message. */
async function generalError(response: Response, code: string): Promise<string> {
  expect(response.status).toBe(400);
  const body = await jsonBody<Errors>(response);
  expect(body.generalErrors?.map((error) => error.code)).toEqual([`[${code}]`]);
  return body.generalErrors![0]!.message;
}

/** A 429 with an integer Retry-After and the Errors body; returns Retry-After. */
async function tooMany(response: Response): Promise<number> {
  expect(response.status).toBe(429);
  const body = await jsonBody<Errors>(response);
  expect(body.generalErrors?.map((error) => error.code)).toEqual(["[TooManyRequests]"]);
  const retryAfter = response.headers.get("Retry-After");
  expect(retryAfter).toMatch(/^\d+$/);
  return Number(retryAfter);
}

async function report(query = `start=${hourOf(Date.now()) * HOUR_MS}&end=${Date.now()}`): Promise<Report> {
  const response = await call("GET", `/api/system/sms-report?${query}`);
  expect(response.status).toBe(200);
  return jsonBody<Report>(response);
}

describe("number types and ranges", () => {
  it.each([
    ["+1 900 234 5678", "premium-rate"], // NANP 900
    ["+44 909 123 4567", "premium-rate"], // UK 09
    ["+44 908 123 4567", "premium-rate"],
    ["+44 871 234 5678", "premium-rate"], // UK 087
    ["+44 845 123 4567", "premium-rate"], // UK 084
    ["+979 123 456 789", "premium-rate"], // International Premium Rate Service
    ["+808 1234 5678", "shared-cost"], // International Shared Cost Service
    ["+881 6 1234 5678", "satellite"], // GMSS (Iridium)
    ["+870 772 123 456", "satellite"], // Inmarsat
    ["+882 16 1234 5678", "non-geographic"], // International Networks (Thuraya)
    ["+883 5100 12345", "non-geographic"],
    ["+1 800 234 5678", "toll-free"], // NANP toll-free codes
    ["+1 888 234 5678", "toll-free"],
    ["+1 833 234 5678", "toll-free"],
    ["+1 822 234 5678", "toll-free"], // reserved for toll-free, not yet in service
    ["+1 889 234 5678", "toll-free"],
    ["+44 800 123 4567", "toll-free"], // libphonenumber's TOLL_FREE elsewhere
    ["+33 800 12 34 56", "toll-free"],
    ["+1 500 234 5678", "personal"], // NANP 5XX non-geographic (personal communications) codes
    ["+1 521 234 5678", "personal"],
    ["+1 533 234 5678", "personal"],
    ["+1 588 234 5678", "personal"],
    ["+44 70 1234 5678", "personal"], // libphonenumber's PERSONAL_NUMBER elsewhere
    ["+49 700 1234 5678", "personal"],
  ])("refuses %s (%s) before Twilio, even with every country allowed", async (number, numberClass) => {
    const message = await generalError(await enrol(number, { SMS_ALLOWED_COUNTRIES: "*" }), "PhoneNumberTypeNotAllowed");
    expect(message).toBe(`Codes are not texted to ${numberClass} numbers.`);
    expect(fake.messages).toHaveLength(0);
  });

  it("refuses a premium-rate number libphonenumber knows in an allowed country, and texts that country's mobiles", async () => {
    const france = { SMS_ALLOWED_COUNTRIES: "FR" };
    await generalError(await enrol("+33 8 99 12 34 56", france), "PhoneNumberTypeNotAllowed");
    expect((await enrol("+33 6 12 34 56 78", france)).status).toBe(200);
    expect(fake.messages.map((message) => message.to)).toEqual(["+33612345678"]);
  });

  it("texts the refused classes only when SMS_REFUSED_NUMBER_TYPES leaves them out", async () => {
    const satelliteAllowed = { SMS_ALLOWED_COUNTRIES: "*", SMS_REFUSED_NUMBER_TYPES: "premium-rate,shared-cost,non-geographic" };
    expect((await enrol("+881 6 1234 5678", satelliteAllowed)).status).toBe(200);
    await generalError(await enrol("+979 123 456 789", satelliteAllowed), "PhoneNumberTypeNotAllowed");
    expect(messagesTo(fake, "+881612345678")).toHaveLength(1);
    const tollFreeAllowed = { SMS_REFUSED_NUMBER_TYPES: "premium-rate,personal" };
    expect((await enrol("+1 800 234 5678", tollFreeAllowed)).status).toBe(200);
    await generalError(await enrol("+1 500 234 5678", tollFreeAllowed), "PhoneNumberTypeNotAllowed");
    expect(messagesTo(fake, "+18002345678")).toHaveLength(1);
  });

  it("refuses them on every path: {userId}, the JWT's user, the login's text (242 stands) and the resend", async () => {
    const lines = captureConsole();
    const user = await createUser({ mobilePhone: "+1 900 234 5678" });
    const token = await accessToken(user);
    const patched = await call("PATCH", `/api/user/${user.id}`, {
      body: { user: { twoFactorEnabled: true, twoFactorSecret: secret, twoFactorDelivery: "TextMessage" } },
    });
    expect(patched.status).toBe(200);

    await generalError(await call("POST", "/api/two-factor/send", { body: { userId: user.id }, vars: PRODUCTION }), "PhoneNumberTypeNotAllowed");
    const byJwt = await call("POST", "/api/two-factor/send", { apiKey: null, headers: { Authorization: `Bearer ${token}` }, body: {}, vars: PRODUCTION });
    await generalError(byJwt, "PhoneNumberTypeNotAllowed");
    const twoFactorId = await twoFactorIdOf(await login(user));
    await generalError(await resend(twoFactorId), "PhoneNumberTypeNotAllowed");

    expect(fake.messages).toHaveLength(0);
    const refusals = lines.filter((line) => line.includes('"sms.refused"')).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(refusals.map((refusal) => refusal.purpose)).toEqual(["user", "user", "login", "login"]);
    for (const refusal of refusals) expect(refusal).toMatchObject({ reason: "number-type", numberClass: "premium-rate", country: "US", range: "+19002345xxx" });
    // One line per refusal, and never the number.
    expect(lines.join("\n")).not.toContain("9002345678");
  });

  it("refuses unassigned numbers as not phone numbers, unless SMS_ALLOW_UNASSIGNED_NUMBERS", async () => {
    for (const number of ["555-555-5555", "+1 555 555 0142", "+44 7700 900123", "not a phone"]) {
      const response = await enrol(number);
      expect(response.status, number).toBe(400);
      expect((await jsonBody<Errors>(response)).fieldErrors?.mobilePhone?.map((error) => error.code)).toEqual(["[invalid]mobilePhone"]);
    }
    expect((await enrol("555-555-5555", { SMS_ALLOW_UNASSIGNED_NUMBERS: "true" })).status).toBe(200);
    expect(fake.messages.map((message) => message.to)).toEqual(["+15555555555"]);
  });
});

describe("allowed countries", () => {
  it("texts only the default region's country by default: another +1 or +44 country is refused before Twilio", async () => {
    expect(await generalError(await enrol("+44 7912 123456"), "PhoneCountryNotAllowed")).toBe("Codes are not texted to numbers in GB.");
    await generalError(await enrol("+1 514 987 6543"), "PhoneCountryNotAllowed"); // Canada
    expect((await enrol("(206) 270-0142")).status).toBe(200);
    expect(fake.messages.map((message) => message.to)).toEqual(["+12062700142"]);
  });

  it("follows SMS_ALLOWED_COUNTRIES (ISO regions: Guernsey's +44 7911 is GG, not GB) and `*`", async () => {
    const withGb = { SMS_ALLOWED_COUNTRIES: "us, gb" };
    expect((await enrol("+44 7912 123457", withGb)).status).toBe(200);
    await generalError(await enrol("+44 7911 123456", withGb), "PhoneCountryNotAllowed");
    await generalError(await enrol("+1 514 987 6544", withGb), "PhoneCountryNotAllowed");
    expect((await enrol("+1 514 987 6544", { SMS_ALLOWED_COUNTRIES: "*" })).status).toBe(200);
    expect(fake.messages.map((message) => message.to)).toEqual(["+447912123457", "+15149876544"]);
  });

  it("defaults to the country of DEFAULT_PHONE_REGION", async () => {
    const british = { DEFAULT_PHONE_REGION: "GB" };
    expect((await enrol("07912 123458", british)).status).toBe(200);
    await generalError(await enrol("+1 206 270 0143", british), "PhoneCountryNotAllowed");
    expect(fake.messages.map((message) => message.to)).toEqual(["+447912123458"]);
  });
});

describe("hourly caps", () => {
  it("caps the texts to one number range (all but the last 3 digits) and says when the range has room again", async () => {
    const range = { SMS_MAX_PER_RANGE_PER_HOUR: "3" };
    for (const number of ["+1 206 280 0101", "+1 206 280 0102", "+1 206 280 0103"]) expect((await enrol(number, range)).status, number).toBe(200);
    const retryAfter = await tooMany(await enrol("+1 206 280 0104", range));
    expect(retryAfter).toBe(3600);
    expect((await enrol("+1 206 280 1104", range)).status).toBe(200); // the next range
    expect(messagesTo(fake, "+12062800104")).toHaveLength(0);

    advance(retryAfter);
    expect((await enrol("+1 206 280 0104", range)).status).toBe(200);
    expect(messagesTo(fake, "+12062800104")).toHaveLength(1);
  });

  it("caps a country's texts per clock hour, counted exactly, while the rest of the world still gets codes", async () => {
    // 40 numbers in 40 ranges: the first 16 go out, wherever their ranges are counted.
    const gb = { SMS_ALLOWED_COUNTRIES: "US,GB", SMS_MAX_PER_COUNTRY_PER_HOUR: "GB:16" };
    const statuses: number[] = [];
    for (let block = 100; block < 140; block += 1) {
      const response = await enrol(`+44 7912 ${block}456`, gb);
      statuses.push(response.status);
      if (response.status === 429) expect(await tooMany(response)).toBe(secondsToNextHour());
    }
    expect(statuses).toEqual([...Array(16).fill(200), ...Array(24).fill(429)]);
    expect(fake.messages).toHaveLength(16);
    expect((await enrol("+1 206 290 0142", gb)).status).toBe(200);

    advance(secondsToNextHour());
    expect((await enrol("+44 7912 139456", gb)).status).toBe(200);
  });

  it("caps all texts together per clock hour (SMS_MAX_PER_HOUR), counted exactly, also for the default region's country", async () => {
    const budget = { SMS_MAX_PER_HOUR: "16", SMS_MAX_PER_CALLER_PER_HOUR: "1000" };
    const statuses: number[] = [];
    for (let exchange = 220; exchange < 260; exchange += 1) {
      const response = await enrol(`+1 206 ${exchange} 0142`, budget);
      statuses.push(response.status);
      if (response.status === 429) expect(await tooMany(response)).toBe(secondsToNextHour());
    }
    expect(statuses).toEqual([...Array(16).fill(200), ...Array(24).fill(429)]);
    expect(fake.messages).toHaveLength(16);
    expect((await report()).total).toEqual({ sent: 16, refused: { budget: 24 } });
  });

  it("caps the texts one client address asks for (a login's and resends), gives a refused send back, and does not count the application's own address as that client", async () => {
    const perIp = { SMS_MAX_PER_IP_PER_HOUR: "2" };
    const user = await createTextMessageUser("+1 206 300 0142");
    // The application vouches for its user's address: the login's text is that client's first.
    const twoFactorId = await twoFactorIdOf(await login(user, perIp, { ipAddress: "198.51.100.9" }));
    advance(31);
    expect((await resend(twoFactorId, perIp, "198.51.100.9")).status).toBe(200);
    advance(31);
    expect(await tooMany(await resend(twoFactorId, perIp, "198.51.100.9"))).toBe(secondsToNextHour());
    expect(messagesTo(fake, "+12063000142")).toHaveLength(2);
    // The refused send took nothing: not the phone's 30 s spacing, not one of the login's 5 sends.
    expect((await resend(twoFactorId, perIp, "198.51.100.10")).status).toBe(200);
    for (let more = 0; more < 2; more += 1) {
      advance(31);
      expect((await resend(twoFactorId, perIp, `198.51.100.${20 + more}`)).status).toBe(200);
    }
    advance(31);
    await tooMany(await resend(twoFactorId, perIp, "198.51.100.30")); // the login's 5 sends
    expect(messagesTo(fake, "+12063000142")).toHaveLength(5);

    // Without the user's ipAddress, an API-key login's connecting address is the application's: counted as the caller, apart from its users.
    const other = await createTextMessageUser("+1 206 310 0142");
    expect((await login(other, perIp, { headers: { "CF-Connecting-IP": "198.51.100.9" } })).status).toBe(242);
    expect(messagesTo(fake, "+12063100142")).toHaveLength(1);

    const { total } = await report();
    expect(total.sent).toBe(fake.messages.length);
    // The login's sixth send was the login's own limit (src/domain/challenges.ts), not the guard's.
    expect(total.refused).toEqual({ ip: 1 });
  });

  it("counts an IPv6 client by its /64: a host cannot step through its own addresses", async () => {
    const perIp = { SMS_MAX_PER_IP_PER_HOUR: "2" };
    const user = await createTextMessageUser("+1 206 320 0142");
    const twoFactorId = await twoFactorIdOf(await login(user, perIp, { ipAddress: "2001:db8:1:2::1" }));
    advance(31);
    expect((await resend(twoFactorId, perIp, "2001:DB8:1:2:aaaa::2")).status).toBe(200);
    advance(31);
    await tooMany(await resend(twoFactorId, perIp, "2001:db8:1:2:ffff:ffff:ffff:3"));
    expect((await resend(twoFactorId, perIp, "2001:db8:1:3::1")).status).toBe(200);
    expect(messagesTo(fake, "+12063200142")).toHaveLength(3);
  });
});

describe("client addresses", () => {
  /** Logs in a new TextMessage user (phone `+1 206 <exchange> 0142`) with `ipAddress`; answers how many texts the phone got. */
  async function textsForLogin(exchange: number, vars: Vars, extra: { ipAddress?: string; headers?: Record<string, string> }) {
    const user = await createTextMessageUser(`+1 206 ${exchange} 0142`);
    await twoFactorIdOf(await login(user, vars, extra));
    return messagesTo(fake, `+1206${exchange}0142`).length;
  }

  it.each([
    [
      "IPv4",
      "203.0.113.77",
      ["0:0:0:0:0:ffff:203.0.113.77", "::ffff:cb00:714d", "::FFFF:CB00:714D", "203.0.113.77:4431", "[::ffff:203.0.113.77]:443", "[203.0.113.77]"],
    ],
    ["IPv6", "2001:db8:7:1::1", ["[2001:db8:7:1::2]:443", "[2001:DB8:7:1::3]", "2001:db8:7:1:0:0:0:4", "2001:db8:7:1::5%eth0"]],
    ["link-local with a zone", "fe80::1%eth0", ["fe80::2%25en0", "[fe80::3%eth1]:443", "FE80::4"]],
  ])("counts every spelling of one %s client as that client", async (_kind, first, spellings) => {
    const perIp = { SMS_MAX_PER_IP_PER_HOUR: "1" };
    expect(await textsForLogin(600, perIp, { ipAddress: first })).toBe(1);
    for (const [index, spelling] of spellings.entries()) expect(await textsForLogin(601 + index, perIp, { ipAddress: spelling }), spelling).toBe(0);
    expect((await report()).total).toEqual({ sent: 1, refused: { ip: spellings.length } });
  });

  it("counts what is not an address, and a resend with no address, as one shared client with its own cap", async () => {
    const unparseable = { SMS_MAX_PER_UNPARSEABLE_IP_PER_HOUR: "2" };
    const user = await createTextMessageUser("+1 206 610 0142");
    const twoFactorId = await twoFactorIdOf(await login(user, unparseable, { ipAddress: "unknown" }));
    advance(31);
    expect((await resend(twoFactorId, unparseable)).status).toBe(200); // no CF-Connecting-IP at all
    advance(31);
    await tooMany(await resend(twoFactorId, unparseable));
    for (const [index, ipAddress] of ["a, b", "203.0.113.7, 198.51.100.1", "not-an-ip", "1.2.3.4.5", "1:2:3:4:5:6:7:8::9", "::ffff:1.2.3.999"].entries())
      expect(await textsForLogin(611 + index, unparseable, { ipAddress }), ipAddress).toBe(0);
    // Real addresses are counted on their own.
    expect(await textsForLogin(620, unparseable, { ipAddress: "203.0.113.7" })).toBe(1);
  });

  it("counts an application's sends that report no end user's address together, per application, with a generous cap", async () => {
    const perCaller = { SMS_MAX_PER_CALLER_PER_HOUR: "2", SMS_MAX_PER_IP_PER_HOUR: "1" };
    const application = { "CF-Connecting-IP": "192.0.2.10" };
    expect(await textsForLogin(630, perCaller, { headers: application })).toBe(1);
    expect((await enrol("+1 206 631 0142", perCaller, application)).status).toBe(200);
    await tooMany(await enrol("+1 206 632 0142", perCaller, application));
    expect(await textsForLogin(633, perCaller, { headers: application })).toBe(0);
    // The end users it vouches for are not the application: each has the per-address cap.
    expect(await textsForLogin(634, perCaller, { headers: application, ipAddress: "198.51.100.40" })).toBe(1);
    expect((await enrol("+1 206 635 0142", perCaller, { ...application, "X-Forwarded-For": "198.51.100.41, 192.0.2.10" })).status).toBe(200);
    // Another application's server is another caller.
    expect((await enrol("+1 206 636 0142", perCaller, { "CF-Connecting-IP": "192.0.2.11" })).status).toBe(200);
  });

  it("caps enrolment texts per end-user address the application reports in X-Forwarded-For", async () => {
    const perIp = { SMS_MAX_PER_IP_PER_HOUR: "2" };
    // As Cloudflare passes it on: the application's value, then the application's own address.
    const from = (ip: string) => ({ "CF-Connecting-IP": "192.0.2.20", "X-Forwarded-For": `${ip}, 192.0.2.20` });
    expect((await enrol("+1 206 640 0142", perIp, from("198.51.100.50"))).status).toBe(200);
    expect((await enrol("+1 206 641 0142", perIp, from("::ffff:198.51.100.50"))).status).toBe(200);
    expect(await tooMany(await enrol("+1 206 642 0142", perIp, from("198.51.100.50:5000")))).toBe(secondsToNextHour());
    expect((await enrol("+1 206 642 0142", perIp, from("198.51.100.51"))).status).toBe(200);
    // The login's ipAddress and the enrolment's header count as the same client.
    expect(await textsForLogin(643, perIp, { ipAddress: "198.51.100.51" })).toBe(1);
    expect(await textsForLogin(644, perIp, { ipAddress: "198.51.100.51" })).toBe(0);
  });
});

describe("no way round by formatting", () => {
  it.each([
    ["(206) 330-0142", "national, parentheses"],
    ["206.330.0142", "dots"],
    ["206-330-0142", "dashes"],
    ["1 206 330 0142", "national with the trunk 1"],
    ["+1-206-330-0142", "E.164 with dashes"],
    ["001 206 330 0142", "leading 00"],
    ["011 1 206 330 0142", "the US international prefix"],
    ["+1 (206) 330-0142 ext. 9", "an extension"],
    ["＋１ ２０６ ３３０ ０１４２", "fullwidth"],
    ["+١ ٢٠٦ ٣٣٠ ٠١٤٢", "Arabic-Indic"],
    ["+۱ ۲۰۶ ۳۳۰ ۰۱۴۲", "Extended Arabic-Indic"],
    ["+१ २०६ ३३० ०१४२", "Devanagari"],
    ["+𝟏 𝟐𝟎𝟔 𝟑𝟑𝟎 𝟎𝟏𝟒𝟐", "mathematical bold"],
    ["+1\u00a0206\u00a0330\u00a00142", "no-break spaces"],
  ])("%s (%s) is the same phone: the 30 s spacing holds", async (spelling) => {
    expect((await enrol("+1 206 330 0142")).status).toBe(200);
    await tooMany(await enrol(spelling));
    expect(fake.messages).toHaveLength(1);
  });

  it("numbers of one range count against the range however each is written", async () => {
    const range = { SMS_MAX_PER_RANGE_PER_HOUR: "2" };
    expect((await enrol("+12063400101", range)).status).toBe(200);
    expect((await enrol("(206) 340-0102", range)).status).toBe(200);
    await tooMany(await enrol("２０６-３４０-０１０３", range));
    await tooMany(await enrol("٠٠١ ٢٠٦ ٣٤٠ ٠١٠٤", range));
    expect(fake.messages).toHaveLength(2);
  });

  it.each(["+١ ٩٠٠ ٢٣٤ ٥٦٧٨", "00 1 900 234 5678", "1-900-234-5678", "(900) 234-5678", "００４４ ９０９ １２３ ４５６７", "011 881 6 1234 5678"])(
    "a refused number stays refused written as %j",
    async (spelling) => {
      await generalError(await enrol(spelling, { SMS_ALLOWED_COUNTRIES: "*" }), "PhoneNumberTypeNotAllowed");
      expect(fake.messages).toHaveLength(0);
    },
  );

  it("a foreign number stays foreign written with 00 or fullwidth digits", async () => {
    for (const spelling of ["0044 7912 123459", "＋４４ ７９１２ １２３４５９", "011 44 7912 123459"]) {
      await generalError(await enrol(spelling), "PhoneCountryNotAllowed");
    }
    expect(fake.messages).toHaveLength(0);
  });
});

describe("GET /api/system/sms-report", () => {
  it("adds up texts sent and refused per clock hour and country, with the reasons", async () => {
    expect((await enrol("+1 206 350 0142")).status).toBe(200);
    expect((await enrol("+1 206 350 1142")).status).toBe(200);
    await tooMany(await enrol("206-350-0142"));
    await generalError(await enrol("+44 7912 123460"), "PhoneCountryNotAllowed");
    await generalError(await enrol("+881 6 1234 5678"), "PhoneNumberTypeNotAllowed");
    expect((await enrol("not a phone")).status).toBe(400);
    const hour = hourOf(Date.now());
    advance(3600);
    expect((await enrol("+1 206 350 2142")).status).toBe(200);

    const { hourlyCounts, total } = await report(`start=${hour * HOUR_MS}&end=${Date.now()}`);
    expect(hourlyCounts).toEqual([
      { interval: hour, country: "+881", sent: 0, refused: { "number-type": 1 } },
      { interval: hour, country: "GB", sent: 0, refused: { country: 1 } },
      { interval: hour, country: "US", sent: 2, refused: { phone: 1 } },
      { interval: hour, country: "unknown", sent: 0, refused: { invalid: 1 } },
      { interval: hour + 1, country: "US", sent: 1, refused: {} },
    ]);
    expect(total).toEqual({ sent: 3, refused: { "number-type": 1, country: 1, phone: 1, invalid: 1 } });
    // The default window is the last 24 hours.
    expect((await report("")).total.sent).toBe(3);
    expect((await report(`start=${(hour + 1) * HOUR_MS}`)).hourlyCounts).toHaveLength(1);
  });

  it("needs the API key and a valid window", async () => {
    expect((await call("GET", "/api/system/sms-report", { apiKey: null })).status).toBe(401);
    const backwards = await call("GET", `/api/system/sms-report?start=${Date.now()}&end=${Date.now() - 1}`);
    expect(backwards.status).toBe(400);
    expect((await jsonBody<Errors>(backwards)).fieldErrors?.start?.[0]?.code).toBe("[invalid]start");
    expect((await call("GET", "/api/system/sms-report?start=yesterday")).status).toBe(400);
  });
});

describe("OpenAPI", () => {
  it("documents the guard's 400 codes and the 429 with Retry-After on both send endpoints, and the report", () => {
    const { paths } = openApiDocument();
    for (const path of ["/api/two-factor/send", "/api/two-factor/send/{twoFactorId}"]) {
      const responses = paths?.[path]?.post?.responses as Record<string, { description: string; headers?: Record<string, unknown> }>;
      for (const code of ["[PhoneCountryNotAllowed]", "[PhoneNumberTypeNotAllowed]", "[invalid]mobilePhone"])
        expect(responses["400"]?.description).toContain(code);
      expect(responses["429"]?.headers).toHaveProperty("Retry-After");
    }
    expect(paths?.["/api/system/sms-report"]?.get?.responses).toHaveProperty("200");
  });
});
