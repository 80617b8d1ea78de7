// Counts SMS sends, for the toll-fraud guard (src/domain/sms-guard.ts) and the per-phone limits:
// repeated sends for one purpose (an enrolment, a user, one login) are spaced, so neither a user nor
// an attacker can turn the service into an SMS cannon; different purposes are not spaced against
// each other (the tutorial's enrolment text and the next login's text come seconds apart). Per
// number range (all but the last 3 digits), per client, per country and overall: capped per hour,
// against SMS pumping.
//
// Two kinds of object of this class count a text, each exactly, and a text asks both:
// - one of 16 range shards, the one the number's range hashes to: the sends to that range and to its
//   numbers (spacing, per-phone and per-range caps). Pumping walks through ranges, so these refuse
//   most of it without anything shared being asked;
// - the budget object, one for the service: what an hour has sent per country and overall, and per
//   client. These budgets are shared by every range, so they are counted in one place: a share per
//   shard would let the few ranges one shard holds spend its share and refuse that shard's other
//   ranges. Only texts their range admitted ask it: what any SMS budget pays for is a few a second,
//   far below the 1,000 requests a second one object serves
//   (https://developers.cloudflare.com/durable-objects/reference/faq/, "How much work can a single
//   Durable Object do?"); attempts a spent budget refuses ask it too.
// Each object also keeps, per clock hour and country, how many texts went out (the budget object)
// and how many were refused and why (where refused), for 48 hours: the operators' report sums them.
import { DurableObject } from "cloudflare:workers";
import { sha256Hex } from "../crypto/compare";
import {
  addFigures,
  HOUR_MS,
  hourOf,
  noFigures,
  secondsToNextHour,
  type CountryFigures,
  type HourlyFigures,
  type LimitReason,
  type RefusalReason,
} from "../domain/sms-guard";

export type SendLimits = { minIntervalSeconds: number; maxPerPhonePerHour: number; maxPerRangePerHour: number };

/** One text about to go out: to `phone` (E.164) in `range` and `country`, for `purpose`, at `nowMs`. */
export type Send = { phone: string; range: string; country: string; purpose: string; nowMs: number; limits: SendLimits };

/** One text its range admitted, for `client` (see clientAllowance), within the hour's budgets. */
export type Spend = {
  country: string;
  client: string;
  nowMs: number;
  limits: { maxPerClientPerHour: number; maxPerCountryPerHour: number; maxPerHour: number };
};

export type SendPermit = { allowed: true } | { allowed: false; reason: LimitReason; retryAfterSeconds: number };

type PhoneSend = { at: number; purpose: string };
type Figures = Record<string, CountryFigures>;

const SHARDS = 16;
const FIGURES_KEPT_HOURS = 48;
const SENDS = "sends:";
const RANGE = "range:";
const CLIENT = "ip:";
const FIGURES = "hour:";

export class PhoneThrottle extends DurableObject<Env> {
  /** Whether this instance knows the clean-up alarm is set, so a send does not ask storage each time. */
  private alarmSet = false;

  /** Range shard: takes a send slot for `send` when the phone and its range have one. */
  async acquire(send: Send): Promise<SendPermit> {
    const { phone, range, country, purpose, nowMs, limits } = send;
    const storage = this.ctx.storage.kv;
    const phoneSends = (storage.get<PhoneSend[]>(SENDS + phone) ?? []).filter((sent) => sent.at > nowMs - HOUR_MS);
    const rangeSends = (storage.get<number[]>(RANGE + range) ?? []).filter((at) => at > nowMs - HOUR_MS);
    const lastForPurpose = phoneSends.findLast((sent) => sent.purpose === purpose);
    const waits: Array<[LimitReason, number]> = [
      ["phone", lastForPurpose ? lastForPurpose.at + limits.minIntervalSeconds * 1000 - nowMs : 0],
      [
        "phone",
        oldestOfLast(
          phoneSends.map((sent) => sent.at),
          limits.maxPerPhonePerHour,
          nowMs,
        ),
      ],
      ["range", oldestOfLast(rangeSends, limits.maxPerRangePerHour, nowMs)],
    ];
    const [reason, waitMs] = waits.reduce((longest, wait) => (wait[1] > longest[1] ? wait : longest));
    if (waitMs > 0) return this.refuse(nowMs, country, reason, Math.ceil(waitMs / 1000));
    storage.put(SENDS + phone, [...phoneSends, { at: nowMs, purpose }]);
    storage.put(RANGE + range, [...rangeSends, nowMs]);
    await this.keepTidy(nowMs);
    return { allowed: true };
  }

  /** Range shard: gives back a slot `acquire` took for `send` (the budgets refused it), as if it had never been asked for. */
  async release({ phone, range, purpose, nowMs }: Send): Promise<void> {
    const storage = this.ctx.storage.kv;
    storage.put(
      SENDS + phone,
      withoutLast(storage.get<PhoneSend[]>(SENDS + phone) ?? [], (sent) => sent.at === nowMs && sent.purpose === purpose),
    );
    storage.put(
      RANGE + range,
      withoutLast(storage.get<number[]>(RANGE + range) ?? [], (at) => at === nowMs),
    );
  }

  /** Budget object: counts a text as sent when the hour's budget, its country's and its client's cap all have room. */
  async spend({ country, client, nowMs, limits }: Spend): Promise<SendPermit> {
    const storage = this.ctx.storage.kv;
    const figures = this.figuresAt(nowMs);
    const clientKey = `${CLIENT}${hourOf(nowMs)}:${client}`;
    const clientSent = storage.get<number>(clientKey) ?? 0;
    const sentThisHour = Object.values(figures).reduce((sum, { sent }) => sum + sent, 0);
    // The overall budget before the country's: when both are spent (the default region's budget is the overall one), the overall one is named.
    const reason: LimitReason | undefined =
      sentThisHour >= limits.maxPerHour
        ? "budget"
        : (figures[country]?.sent ?? 0) >= limits.maxPerCountryPerHour
          ? "country-budget"
          : clientSent >= limits.maxPerClientPerHour
            ? "ip"
            : undefined;
    if (reason) return this.refuse(nowMs, country, reason, secondsToNextHour(nowMs));
    storage.put(clientKey, clientSent + 1);
    this.count(nowMs, figures, country, "sent");
    await this.keepTidy(nowMs);
    return { allowed: true };
  }

  /** Counts a refusal decided before any limit was asked (an invalid, refused or foreign number). */
  async countRefusal(country: string, reason: RefusalReason, nowMs: number): Promise<void> {
    this.count(nowMs, this.figuresAt(nowMs), country, reason);
    await this.keepTidy(nowMs);
  }

  /** This object's figures for the clock hours `fromHour` to `toHour` (see hourOf), both included. */
  async figures(fromHour: number, toHour: number): Promise<HourlyFigures[]> {
    const rows: HourlyFigures[] = [];
    for (const [key, figures] of this.ctx.storage.kv.list<Figures>({ prefix: FIGURES })) {
      const interval = Number(key.slice(FIGURES.length));
      if (interval < fromHour || interval > toHour) continue;
      for (const [country, counts] of Object.entries(figures)) rows.push({ interval, country, ...counts });
    }
    return rows;
  }

  /** Forgets sends older than an hour, client counts of past hours and figures older than 48 hours */
  async alarm(): Promise<void> {
    const now = Date.now();
    const hour = hourOf(now);
    const stale: Record<string, (key: string, value: unknown) => boolean> = {
      [SENDS]: (_key, sends) => (sends as PhoneSend[]).every((sent) => sent.at <= now - HOUR_MS),
      [RANGE]: (_key, sends) => (sends as number[]).every((at) => at <= now - HOUR_MS),
      [CLIENT]: (key) => Number(key.slice(CLIENT.length).split(":", 1)[0]) < hour,
      [FIGURES]: (key) => Number(key.slice(FIGURES.length)) < hour - FIGURES_KEPT_HOURS,
    };
    let left = false;
    for (const [key, value] of this.ctx.storage.kv.list()) {
      const prefix = Object.keys(stale).find((candidate) => key.startsWith(candidate));
      if (prefix && stale[prefix]!(key, value)) this.ctx.storage.kv.delete(key);
      else left = true;
    }
    if (left) await this.ctx.storage.setAlarm(now + HOUR_MS);
    this.alarmSet = left;
  }

  private figuresAt(nowMs: number): Figures {
    return this.ctx.storage.kv.get<Figures>(FIGURES + hourOf(nowMs)) ?? {};
  }

  private async refuse(nowMs: number, country: string, reason: LimitReason, retryAfterSeconds: number): Promise<SendPermit> {
    this.count(nowMs, this.figuresAt(nowMs), country, reason);
    await this.keepTidy(nowMs);
    return { allowed: false, reason, retryAfterSeconds };
  }

  private count(nowMs: number, figures: Figures, country: string, outcome: "sent" | RefusalReason): void {
    const change: CountryFigures = outcome === "sent" ? { sent: 1, refused: {} } : { sent: 0, refused: { [outcome]: 1 } };
    this.ctx.storage.kv.put(FIGURES + hourOf(nowMs), { ...figures, [country]: addFigures(figures[country] ?? noFigures(), change) });
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

/** The range shard that keeps the sends to the numbers of `range` (see numberRange) and to the range itself. */
export const rangeThrottle = async (env: Env, range: string) => throttle(env, `shard:${await shardNumberOf(range)}`);

/** The budget object: the hour's texts per country and overall, and per client. */
export const budgetThrottle = (env: Env) => throttle(env, "budget");

/** Every object, for the operators' report. */
export const allPhoneThrottles = (env: Env) => [...Array.from({ length: SHARDS }, (_, shard) => throttle(env, `shard:${shard}`)), budgetThrottle(env)];
