// The SMS toll-fraud guard's decisions, as pure functions. SMS pumping is texting numbers whose
// holder is paid for every message delivered to them (premium-rate ranges, destinations with high
// termination fees), through any form that sends a code. The guard refuses such destinations
// outright, and caps what any one number, number range, client address, country and the service
// as a whole may be sent in an hour (src/objects/phone-throttle.ts counts; src/services/shared/
// sms-guard.ts asks and reports).
import { ipv6Prefix64, parseIp } from "./network";

/** Why a text was refused: one name per guard, in logs, in the operators' figures and in events. */
export const REFUSAL_REASONS = ["invalid", "number-type", "country", "phone", "range", "ip", "country-budget", "budget"] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

/** The refusals the send limits decide (429 with Retry-After); the others are decided before any count. */
export type LimitReason = Extract<RefusalReason, "phone" | "range" | "ip" | "country-budget" | "budget">;

/**
 * The counts a send passes (src/objects/phone-throttle.ts keeps them, for texts and emails): its
 * recipient's (spacing and hourly cap), the recipient's group's, the client's, its bucket's hourly
 * budget and the overall one.
 */
export type Limit = "recipient" | "group" | "client" | "bucket" | "budget";

/** The name of each count's refusal for texts: the number, its range, the client, the country's budget, the overall one. */
export const SMS_LIMIT_REASONS = {
  recipient: "phone",
  group: "range",
  client: "ip",
  bucket: "country-budget",
  budget: "budget",
} as const satisfies Record<Limit, LimitReason>;

/**
 * Numbers whose holder earns from what is sent to them, that no handset holds for the price of a
 * text, or that are not a person's own phone: toll-free numbers (the called party pays) and personal
 * numbers (non-geographic numbers that forward wherever their holder says or, in North America's 5XX
 * codes, serve machines).
 */
export const NUMBER_CLASSES = ["premium-rate", "shared-cost", "satellite", "non-geographic", "toll-free", "personal"] as const;
export type NumberClass = (typeof NUMBER_CLASSES)[number];

/** What libphonenumber knows about a number (src/sms/phone.ts reads it). */
export type PhoneFacts = {
  e164: string;
  callingCode: string;
  /** ISO 3166-1 region, when the number has one. */
  region?: string;
  /** In a range the metadata knows as assigned. */
  valid: boolean;
  /** libphonenumber's type (`MOBILE`, `PREMIUM_RATE`, …), known for valid numbers only. */
  type?: string;
};

/**
 * Ranges refused whatever libphonenumber says of a number in them (it types most of them as mobile,
 * VoIP or not at all), as E.164 digit prefixes:
 * - ITU-T's global services, from the "List of ITU-T Recommendation E.164 assigned country codes"
 *   (https://www.itu.int/pub/T-SP-E.164D): +979 International Premium Rate Service (E.169.2), +808
 *   International Shared Cost Service (E.169.3), +870 Inmarsat and +881 Global Mobile Satellite
 *   System (satellite), and the other shared codes, which no national regulator polices: +800
 *   International Freephone, +878 (reserved), +882 and +883 International Networks (Thuraya's
 *   satellite phones are +88216), +888 (OCHA disaster relief), +991 (trials);
 * - the North American Numbering Plan's 900 code, "premium services" (NANPA; ATIS-0300060, 900 NXX
 *   Code Assignment Guidelines); its toll-free codes 800, 833, 844, 855, 866, 877 and 888 and those
 *   reserved for toll-free service, 822, 880-887 and 889 (NANPA, "Toll-Free Numbers"; INC, Toll Free
 *   Number Administration Guidelines); and its non-geographic 5XX codes for personal communications
 *   services, 500, 521-529, 533, 544, 566, 577 and 588 (NANPA, "5XX-NXX Codes",
 *   https://www.nationalnanpa.com/number_resource_info/5XX_codes.html);
 * - the United Kingdom's service numbers whose service charge goes to the number's holder: 09
 *   (premium rate), 084 and 087 (Ofcom, The National Telephone Numbering Plan; see
 *   https://en.wikipedia.org/wiki/Non-geographic_telephone_numbers_in_the_United_Kingdom).
 */
const RANGES: ReadonlyArray<readonly [prefix: string, numberClass: NumberClass]> = [
  ["979", "premium-rate"],
  ["808", "shared-cost"],
  ["870", "satellite"],
  ["881", "satellite"],
  ["800", "non-geographic"],
  ["878", "non-geographic"],
  ["882", "non-geographic"],
  ["883", "non-geographic"],
  ["888", "non-geographic"],
  ["991", "non-geographic"],
  ["1900", "premium-rate"],
  ...["800", "833", "844", "855", "866", "877", "888", "822", "880", "881", "882", "883", "884", "885", "886", "887", "889"].map(
    (code) => [`1${code}`, "toll-free"] as const,
  ),
  ...["500", "521", "522", "523", "524", "525", "526", "527", "528", "529", "533", "544", "566", "577", "588"].map((code) => [`1${code}`, "personal"] as const),
  ["449", "premium-rate"],
  ["4484", "premium-rate"],
  ["4487", "premium-rate"],
];

/**
 * libphonenumber's types that are one of the classes: TOLL_FREE and PERSONAL_NUMBER also cover other
 * countries' freephone and personal numbers (the UK's 080 and 070, Germany's 0800 and 0700, …).
 */
const TYPES: Readonly<Record<string, NumberClass>> = {
  PREMIUM_RATE: "premium-rate",
  SHARED_COST: "shared-cost",
  TOLL_FREE: "toll-free",
  PERSONAL_NUMBER: "personal",
};

export function numberClassOf(facts: PhoneFacts): NumberClass | undefined {
  const digits = facts.e164.slice(1);
  return RANGES.find(([prefix]) => digits.startsWith(prefix))?.[1] ?? (facts.type ? TYPES[facts.type] : undefined);
}

export type DestinationPolicy = {
  /** ISO regions texts may go to, or every region. */
  allowedCountries: readonly string[] | "*";
  refusedNumberClasses: readonly NumberClass[];
  /** Text numbers in ranges the metadata does not know as assigned (development and tests only). */
  allowUnassignedNumbers: boolean;
};

/** Where a text would go: the number, its country (see countryLabel) and its range. */
export type Destination = { e164: string; country: string; range: string };

export type DestinationVerdict =
  | ({ ok: true } & Destination)
  | { ok: false; reason: Extract<RefusalReason, "invalid" | "number-type" | "country">; country: string; range?: string; numberClass?: NumberClass };

/** The country a number is counted under: its ISO region, `+<calling code>` without one (e.g. `+881`). */
const countryLabel = (facts: PhoneFacts) => facts.region ?? `+${facts.callingCode}`;

/** The country of a text that is not a phone number at all. */
export const UNKNOWN_COUNTRY = "unknown";

/**
 * Whether a text may go to `facts` (null: not a phone number): never to the refused classes, only to
 * assigned numbers unless allowed, and only to the allowed countries.
 */
export function checkDestination(facts: PhoneFacts | null, policy: DestinationPolicy): DestinationVerdict {
  if (!facts) return { ok: false, reason: "invalid", country: UNKNOWN_COUNTRY };
  const destination = { e164: facts.e164, country: countryLabel(facts), range: numberRange(facts.e164) };
  const numberClass = numberClassOf(facts);
  if (numberClass && policy.refusedNumberClasses.includes(numberClass)) return { ...refused("number-type", destination), numberClass };
  if (!facts.valid && !policy.allowUnassignedNumbers) return refused("invalid", destination);
  if (policy.allowedCountries !== "*" && !(facts.region && policy.allowedCountries.includes(facts.region))) return refused("country", destination);
  return { ok: true, ...destination };
}

const refused = (reason: "invalid" | "number-type" | "country", { country, range }: Destination) => ({ ok: false as const, reason, country, range });

/** The numbers sharing all but their last 3 digits with `e164` (the block pumping walks through), as that prefix. */
export const numberRange = (e164: string) => e164.slice(0, -3);

/** A range as logs show it: `+15555550xxx`, never a whole number. */
export const maskedRange = (range: string) => `${range}xxx`;

/**
 * Who asked for a text, for the cap on texts per client: the end user, by the address the application
 * reports with its API key or, for a call nobody vouches for, the connecting address; or an API-key or
 * JWT caller that reports no end user's address, by its own connecting address.
 */
export type TextClient = { kind: "end-user" | "caller"; ip: string | undefined };

/** The hourly caps on texts per client (see clientAllowance). */
export type ClientCaps = { maxPerIpPerHour: number; maxPerUnparseableIpPerHour: number; maxPerCallerPerHour: number };

/** The one client every address that cannot be read (or none, where one was due) counts as. */
export const UNPARSEABLE_CLIENT = "unparseable";

/**
 * The key a client's texts are counted under, and its cap. An address counts in one spelling (see
 * parseIp): an IPv4 address, or an IPv6 /64 (the prefix one site usually gets, RFC 6177: one address
 * each would let a single host count as 2^64 clients). Whatever is not an address counts as one
 * shared client with a cap of its own, so no spelling escapes the count.
 */
export function clientAllowance(client: TextClient, caps: ClientCaps): { key: string; maxPerHour: number } {
  const address = parseIp(client.ip);
  const key = !address ? UNPARSEABLE_CLIENT : address.version === 4 ? address.octets.join(".") : ipv6Prefix64(address.groups);
  if (client.kind === "caller") return { key: `caller:${key}`, maxPerHour: caps.maxPerCallerPerHour };
  return { key, maxPerHour: key === UNPARSEABLE_CLIENT ? caps.maxPerUnparseableIpPerHour : caps.maxPerIpPerHour };
}

export const HOUR_MS = 3_600_000;

/** The clock hour (UTC) `ms` falls in, as hours since the epoch (FusionAuth's reports count `interval`s the same way). */
export const hourOf = (ms: number) => Math.floor(ms / HOUR_MS);

/** Seconds from `nowMs` until the next clock hour begins. */
export const secondsToNextHour = (nowMs: number) => Math.max(1, Math.ceil(((hourOf(nowMs) + 1) * HOUR_MS - nowMs) / 1000));

/** What happened to the texts for one country (or, with email's reasons, to the emails) in one hour. */
export type CountryFigures<Reason extends string = RefusalReason> = { sent: number; refused: Partial<Record<Reason, number>> };

/** One country's figures for one clock hour, as the operators' report lists them. */
export type HourlyFigures = { interval: number; country: string } & CountryFigures;

/** `figures` plus `other` (new objects; neither is changed). */
export function addFigures<Reason extends string>(figures: CountryFigures<Reason>, other: CountryFigures<Reason>): CountryFigures<Reason> {
  const refused = { ...figures.refused };
  for (const [reason, count] of Object.entries(other.refused) as Array<[Reason, number]>) refused[reason] = (refused[reason] ?? 0) + count;
  return { sent: figures.sent + other.sent, refused };
}

export const noFigures = <Reason extends string = RefusalReason>(): CountryFigures<Reason> => ({ sent: 0, refused: {} });

/** The kind of a send's purpose (`enrolment`, `enable`, `user`, `login`), without the user or login it names: what logs and events show. */
export const purposeKind = (purpose: string) => purpose.split(":", 1)[0]!;
