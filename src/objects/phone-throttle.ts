// Counts code sends, for the SMS toll-fraud guard (src/domain/sms-guard.ts) and the email limits
// (src/domain/email-guard.ts). A send goes to a recipient (a phone number; an email address) in a
// group (the number's range: all but its last 3 digits; the address's domain) and is counted in a
// bucket (the text's destination country; one bucket for every email). Repeated sends for one
// purpose (an enrolment, a user, one login) to one recipient are spaced, so neither a user nor an
// attacker can turn the service into an SMS or email cannon; different purposes are not spaced
// against each other (the tutorial's enrolment text and the next login's text come seconds apart).
// Per recipient and per group over the last hour, per client, per bucket and overall per clock hour:
// capped, against SMS pumping and against walking one domain's addresses.
//
// Each channel has objects of its own (email's names start with `email:`, so the SMS report asks
// texts' objects only), and two kinds of object count a send, each exactly; a send asks both:
// - one of 16 group shards, the one the recipient's group hashes to: the sends to that group and to
//   its recipients (spacing, per-recipient and per-group caps). Pumping walks through ranges, so
//   these refuse most of it without anything shared being asked;
// - the budget object, one per channel: what an hour has sent per bucket and overall, and per
//   client. These budgets are shared by every group, so they are counted in one place: a share per
//   shard would let the few groups one shard holds spend its share and refuse that shard's other
//   groups. Only sends their group admitted ask it: what any SMS budget pays for is a few a second,
//   far below the 1,000 requests a second one object serves
//   (https://developers.cloudflare.com/durable-objects/reference/faq/, "How much work can a single
//   Durable Object do?"); attempts a spent budget refuses ask it too.
// Each object also keeps, per clock hour and bucket, how many sends went out (the budget object)
// and how many were refused and why (where refused), for 48 hours: the operators' report sums the
// texts'. The class and binding keep their first name (a rename is a Durable Object migration).
import { DurableObject } from "cloudflare:workers";
import { sha256Hex } from "../crypto/compare";
import { EMAIL_LIMIT_REASONS, type EmailRefusalReason } from "../domain/email-guard";
import {
  addFigures,
  HOUR_MS,
  hourOf,
  noFigures,
  secondsToNextHour,
  SMS_LIMIT_REASONS,
  type CountryFigures,
  type HourlyFigures,
  type Limit,
  type RefusalReason,
} from "../domain/sms-guard";
import { StoredVersion, VERSION_KEY } from "./stored-version";

/** Which sends an object counts: texts or emails (each has its own objects and names its refusals its own way). */
export type Channel = "sms" | "email";

export type SendLimits = { minIntervalSeconds: number; maxPerRecipientPerHour: number; maxPerGroupPerHour: number };

/**
 * One send about to go out: to `recipient` (an E.164 number; an address) in `group` (its range; its
 * domain), counted in `bucket` (its country; `email`), for `purpose`, at `nowMs`.
 */
export type Send = { channel: Channel; recipient: string; group: string; bucket: string; purpose: string; nowMs: number; limits: SendLimits };

/** One send its group admitted, for `client` (see clientAllowance), within the hour's budgets. */
export type Spend = {
  channel: Channel;
  bucket: string;
  client: string;
  nowMs: number;
  limits: { maxPerClientPerHour: number; maxPerBucketPerHour: number; maxPerHour: number };
};

export type SendPermit = { allowed: true } | { allowed: false; limit: Limit; retryAfterSeconds: number };

/** A refusal as the figures count it, in its channel's name. */
type Reason = RefusalReason | EmailRefusalReason;
const REASONS: Record<Channel, Record<Limit, Reason>> = { sms: SMS_LIMIT_REASONS, email: EMAIL_LIMIT_REASONS };

type RecipientSend = { at: number; purpose: string };
type Figures = Record<string, CountryFigures<Reason>>;

const SHARDS = 16;
const FIGURES_KEPT_HOURS = 48;
// The prefixes keep the names they had when only texts were counted: objects already hold them.
const SENDS = "sends:";
const GROUP = "range:";
const CLIENT = "ip:";
const FIGURES = "hour:";

export class PhoneThrottle extends DurableObject<Env> {
  /** Whether this instance knows the clean-up alarm is set, so a send does not ask storage each time. */
  private alarmSet = false;
  /** The layout is the one throttles had before versions were stored: no steps yet. */
  private readonly version = new StoredVersion(this.ctx.storage, "PhoneThrottle", []);

  /** Group shard: takes a send slot for `send` when the recipient and its group have one. */
  async acquire(send: Send): Promise<SendPermit> {
    const { channel, recipient, group, bucket, purpose, nowMs, limits } = send;
    const storage = this.ctx.storage.kv;
    const recipientSends = (storage.get<RecipientSend[]>(SENDS + recipient) ?? []).filter((sent) => sent.at > nowMs - HOUR_MS);
    const groupSends = (storage.get<number[]>(GROUP + group) ?? []).filter((at) => at > nowMs - HOUR_MS);
    const lastForPurpose = recipientSends.findLast((sent) => sent.purpose === purpose);
    const waits: Array<[Limit, number]> = [
      ["recipient", lastForPurpose ? lastForPurpose.at + limits.minIntervalSeconds * 1000 - nowMs : 0],
      [
        "recipient",
        oldestOfLast(
          recipientSends.map((sent) => sent.at),
          limits.maxPerRecipientPerHour,
          nowMs,
        ),
      ],
      ["group", oldestOfLast(groupSends, limits.maxPerGroupPerHour, nowMs)],
    ];
    const [limit, waitMs] = waits.reduce((longest, wait) => (wait[1] > longest[1] ? wait : longest));
    if (waitMs > 0) return this.refuse(nowMs, channel, bucket, limit, Math.ceil(waitMs / 1000));
    this.put(SENDS + recipient, [...recipientSends, { at: nowMs, purpose }]);
    this.put(GROUP + group, [...groupSends, nowMs]);
    await this.keepTidy(nowMs);
    return { allowed: true };
  }

  /** Group shard: gives back a slot `acquire` took for `send` (the budgets refused it), as if it had never been asked for. */
  async release({ recipient, group, purpose, nowMs }: Send): Promise<void> {
    const storage = this.ctx.storage.kv;
    this.put(
      SENDS + recipient,
      withoutLast(storage.get<RecipientSend[]>(SENDS + recipient) ?? [], (sent) => sent.at === nowMs && sent.purpose === purpose),
    );
    this.put(
      GROUP + group,
      withoutLast(storage.get<number[]>(GROUP + group) ?? [], (at) => at === nowMs),
    );
  }

  /** Budget object: counts a send as sent when the hour's budget, its bucket's and its client's cap all have room. */
  async spend({ channel, bucket, client, nowMs, limits }: Spend): Promise<SendPermit> {
    const storage = this.ctx.storage.kv;
    const figures = this.figuresAt(nowMs);
    const clientKey = `${CLIENT}${hourOf(nowMs)}:${client}`;
    const clientSent = storage.get<number>(clientKey) ?? 0;
    const sentThisHour = Object.values(figures).reduce((sum, { sent }) => sum + sent, 0);
    // The overall budget before the bucket's: when both are spent (the default region's budget is the overall one), the overall one is named.
    const limit: Limit | undefined =
      sentThisHour >= limits.maxPerHour
        ? "budget"
        : (figures[bucket]?.sent ?? 0) >= limits.maxPerBucketPerHour
          ? "bucket"
          : clientSent >= limits.maxPerClientPerHour
            ? "client"
            : undefined;
    if (limit) return this.refuse(nowMs, channel, bucket, limit, secondsToNextHour(nowMs));
    this.put(clientKey, clientSent + 1);
    this.count(nowMs, figures, bucket, "sent");
    await this.keepTidy(nowMs);
    return { allowed: true };
  }

  /** Counts a text's refusal decided before any limit was asked (an invalid, refused or foreign number). */
  async countRefusal(country: string, reason: RefusalReason, nowMs: number): Promise<void> {
    this.count(nowMs, this.figuresAt(nowMs), country, reason);
    await this.keepTidy(nowMs);
  }

  /** This object's figures for the clock hours `fromHour` to `toHour` (see hourOf), both included (texts' objects: the report's). */
  async figures(fromHour: number, toHour: number): Promise<HourlyFigures[]> {
    const rows: HourlyFigures[] = [];
    for (const [key, figures] of this.ctx.storage.kv.list<Record<string, CountryFigures>>({ prefix: FIGURES })) {
      const interval = Number(key.slice(FIGURES.length));
      if (interval < fromHour || interval > toHour) continue;
      for (const [country, counts] of Object.entries(figures)) rows.push({ interval, country, ...counts });
    }
    return rows;
  }

  /** Forgets sends older than an hour, client counts of past hours and figures older than 48 hours; an object left empty forgets its version too (it is new again). */
  async alarm(): Promise<void> {
    const now = Date.now();
    const hour = hourOf(now);
    const stale: Record<string, (key: string, value: unknown) => boolean> = {
      [SENDS]: (_key, sends) => (sends as RecipientSend[]).every((sent) => sent.at <= now - HOUR_MS),
      [GROUP]: (_key, sends) => (sends as number[]).every((at) => at <= now - HOUR_MS),
      [CLIENT]: (key) => Number(key.slice(CLIENT.length).split(":", 1)[0]) < hour,
      [FIGURES]: (key) => Number(key.slice(FIGURES.length)) < hour - FIGURES_KEPT_HOURS,
    };
    let left = false;
    for (const [key, value] of this.ctx.storage.kv.list()) {
      if (key === VERSION_KEY) continue;
      const prefix = Object.keys(stale).find((candidate) => key.startsWith(candidate));
      if (prefix && stale[prefix]!(key, value)) this.ctx.storage.kv.delete(key);
      else left = true;
    }
    if (left) await this.ctx.storage.setAlarm(now + HOUR_MS);
    else this.version.forget();
    this.alarmSet = left;
  }

  /** Every write: a new object's first one writes its version too. */
  private put(key: string, value: unknown): void {
    this.version.stamp();
    this.ctx.storage.kv.put(key, value);
  }

  private figuresAt(nowMs: number): Figures {
    return this.ctx.storage.kv.get<Figures>(FIGURES + hourOf(nowMs)) ?? {};
  }

  private async refuse(nowMs: number, channel: Channel, bucket: string, limit: Limit, retryAfterSeconds: number): Promise<SendPermit> {
    this.count(nowMs, this.figuresAt(nowMs), bucket, REASONS[channel][limit]);
    await this.keepTidy(nowMs);
    return { allowed: false, limit, retryAfterSeconds };
  }

  private count(nowMs: number, figures: Figures, bucket: string, outcome: "sent" | Reason): void {
    const change: CountryFigures<Reason> = outcome === "sent" ? { sent: 1, refused: {} } : { sent: 0, refused: { [outcome]: 1 } };
    this.put(FIGURES + hourOf(nowMs), { ...figures, [bucket]: addFigures(figures[bucket] ?? noFigures<Reason>(), change) });
  }

  private async keepTidy(nowMs: number): Promise<void> {
    if (this.alarmSet) return;
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(nowMs + HOUR_MS);
    this.alarmSet = true;
  }
}

/** How long until one of `times` (oldest first, all within the last hour) leaves the hour so that fewer than `max` remain; 0 when fewer do already. */
function oldestOfLast(times: number[], max: number, nowMs: number): number {
  return times.length >= max ? times[times.length - max]! + HOUR_MS - nowMs : 0;
}

function withoutLast<T>(items: T[], match: (item: T) => boolean): T[] {
  const index = items.findLastIndex(match);
  return index < 0 ? items : items.toSpliced(index, 1);
}

const shardNumberOf = async (key: string) => parseInt((await sha256Hex(key)).slice(0, 8), 16) % SHARDS;

const throttle = (env: Env, name: string) => env.PHONE_THROTTLE.get(env.PHONE_THROTTLE.idFromName(name));

/** The names of a channel's objects: texts' as they always were, emails' after `email:`. */
const NAME_PREFIX: Record<Channel, string> = { sms: "", email: "email:" };

/** The shard that keeps a channel's sends to the recipients of `group` and to the group itself. */
const groupThrottle = async (env: Env, channel: Channel, group: string) => throttle(env, `${NAME_PREFIX[channel]}shard:${await shardNumberOf(group)}`);

/** The range shard that keeps the sends to the numbers of `range` (see numberRange) and to the range itself. */
export const rangeThrottle = (env: Env, range: string) => groupThrottle(env, "sms", range);

/** A channel's budget object: the hour's sends per bucket and overall, and per client. */
export const budgetThrottle = (env: Env, channel: Channel = "sms") => throttle(env, `${NAME_PREFIX[channel]}budget`);

/**
 * Counts `send` in its channel's objects: its group's shard takes a slot and, when it has one, the
 * budget object counts it for `client` within `limits`; the slot is given back when a budget refuses.
 */
export async function countSend(env: Env, send: Send, client: string, limits: Spend["limits"]): Promise<SendPermit> {
  const { channel, group, bucket, nowMs } = send;
  const shard = await groupThrottle(env, channel, group);
  const permit = await shard.acquire(send);
  if (!permit.allowed) return permit;
  const spent = await budgetThrottle(env, channel).spend({ channel, bucket, client, nowMs, limits });
  if (!spent.allowed) await shard.release(send);
  return spent;
}

/** Gives back a slot countSend took for `send` whose message never went out, as if it had never been asked for (the budget's count stays). */
export async function giveBackSend(env: Env, send: Send): Promise<void> {
  await (await groupThrottle(env, send.channel, send.group)).release(send);
}

/** Every texts' object, for the operators' report. */
export const allPhoneThrottles = (env: Env) => [...Array.from({ length: SHARDS }, (_, shard) => throttle(env, `shard:${shard}`)), budgetThrottle(env)];
