// The counts behind every limit on texts (src/domain/sms-guard.ts decides what to refuse). Per
// destination phone number: capped per hour, and repeated sends for one purpose (an enrolment, a
// user, one login) are spaced, so neither a user nor an attacker can turn the service into an SMS
// cannon; different purposes are not spaced against each other (the tutorial's enrolment text and
// the next login's text come seconds apart). Per number range (all but the last 3 digits), per
// client address, per country and overall: capped per hour, against SMS pumping.
//
// The counts are spread over 16 shards, so none is a hot object, and each send asks one of them:
// the shard of the number's range keeps that range's and its numbers' sends (exact), and a share of
// each hourly budget (a country's, the overall one): each shard may spend 1/16 of it (see
// budgetShare: the shares add up to the budget, and none is below 1). So the texts of an hour never
// exceed a budget of 16 or more, but a shard may refuse while others still have room when traffic is
// uneven: budgets start to refuse a little early, more so the smaller they are (at 100 an hour, 6 or
// 7 per shard). Client addresses are counted in the shard of the address (a second call, made only
// for sends with a client address).
// Each shard also keeps, per clock hour and country, how many texts went out and how many were
// refused and why, for 48 hours: the operators' report sums the shards.
import { DurableObject } from "cloudflare:workers";
import { sha256Hex } from "../crypto/compare";
import {
  addFigures,
  budgetShare,
  HOUR_MS,
  hourOf,
  noFigures,
  secondsToNextHour,
  type CountryFigures,
  type HourlyFigures,
  type LimitReason,
  type RefusalReason,
} from "../domain/sms-guard";

export type SendLimits = {
  minIntervalSeconds: number;
  maxPerPhonePerHour: number;
  maxPerRangePerHour: number;
  /** The destination country's whole budget (the shard takes its share). */
  maxPerCountryPerHour: number;
  maxPerHour: number;
};

/**
 * One text about to go out: to `phone` (E.164) in `range` and `country`, for `purpose`, at `nowMs`,
 * asked of shard number `shard` (the range's, see rangeShard).
 */
export type Send = { phone: string; range: string; country: string; purpose: string; nowMs: number; shard: number; limits: SendLimits };

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

  /** Takes a send slot for `send` when the phone, its range and this shard's budget shares have one. */
  async acquire(send: Send): Promise<SendPermit> {
    const { phone, range, country, purpose, nowMs, shard, limits } = send;
    const storage = this.ctx.storage.kv;
    const phoneSends = (storage.get<PhoneSend[]>(SENDS + phone) ?? []).filter((sent) => sent.at > nowMs - HOUR_MS);
    const rangeSends = (storage.get<number[]>(RANGE + range) ?? []).filter((at) => at > nowMs - HOUR_MS);
    const figures = this.figuresAt(nowMs);
    const lastForPurpose = phoneSends.findLast((sent) => sent.purpose === purpose);
    const nextHourMs = secondsToNextHour(nowMs) * 1000;
    const sentThisHour = Object.values(figures).reduce((sum, { sent }) => sum + sent, 0);
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
      // Before the country's: when both are spent (the default region's budget is the overall one), the overall one is named.
      ["budget", sentThisHour >= budgetShare(limits.maxPerHour, SHARDS, shard) ? nextHourMs : 0],
      ["country-budget", (figures[country]?.sent ?? 0) >= budgetShare(limits.maxPerCountryPerHour, SHARDS, shard) ? nextHourMs : 0],
    ];
    const [reason, waitMs] = waits.reduce((longest, wait) => (wait[1] > longest[1] ? wait : longest));
    if (waitMs > 0) {
      this.count(nowMs, figures, country, reason, 1);
      await this.keepTidy(nowMs);
      return { allowed: false, reason, retryAfterSeconds: Math.ceil(waitMs / 1000) };
    }
    storage.put(SENDS + phone, [...phoneSends, { at: nowMs, purpose }]);
    storage.put(RANGE + range, [...rangeSends, nowMs]);
    this.count(nowMs, figures, country, "sent", 1);
    await this.keepTidy(nowMs);
    return { allowed: true };
  }

  /** Gives back a slot `acquire` took for `send` (a later limit refused it): as if it had never been asked for. */
  async release({ phone, range, country, purpose, nowMs }: Send): Promise<void> {
    const storage = this.ctx.storage.kv;
    storage.put(
      SENDS + phone,
      withoutLast(storage.get<PhoneSend[]>(SENDS + phone) ?? [], (sent) => sent.at === nowMs && sent.purpose === purpose),
    );
    storage.put(
      RANGE + range,
      withoutLast(storage.get<number[]>(RANGE + range) ?? [], (at) => at === nowMs),
    );
    this.count(nowMs, this.figuresAt(nowMs), country, "sent", -1);
  }

  /** Counts a text to `country` for `client` (see clientKey) when the client has sends left this clock hour. */
  async acquireForClient(client: string, country: string, nowMs: number, maxPerHour: number): Promise<SendPermit> {
    const storage = this.ctx.storage.kv;
    const key = `${CLIENT}${hourOf(nowMs)}:${client}`;
    const sent = storage.get<number>(key) ?? 0;
    const permit: SendPermit = sent < maxPerHour ? { allowed: true } : { allowed: false, reason: "ip", retryAfterSeconds: secondsToNextHour(nowMs) };
    if (permit.allowed) storage.put(key, sent + 1);
    else this.count(nowMs, this.figuresAt(nowMs), country, "ip", 1);
    await this.keepTidy(nowMs);
    return permit;
  }

  /** Counts a refusal decided before any limit was asked (an invalid, refused or foreign number). */
  async countRefusal(country: string, reason: RefusalReason, nowMs: number): Promise<void> {
    this.count(nowMs, this.figuresAt(nowMs), country, reason, 1);
    await this.keepTidy(nowMs);
  }

  /** This shard's figures for the clock hours `fromHour` to `toHour` (see hourOf), both included. */
  async figures(fromHour: number, toHour: number): Promise<HourlyFigures[]> {
    const rows: HourlyFigures[] = [];
    for (const [key, figures] of this.ctx.storage.kv.list<Figures>({ prefix: FIGURES })) {
      const interval = Number(key.slice(FIGURES.length));
      if (interval < fromHour || interval > toHour) continue;
      for (const [country, counts] of Object.entries(figures)) rows.push({ interval, country, ...counts });
    }
    return rows;
  }

  /** Forgets sends older than an hour, client counts of past hours and figures older than 48 hours. */
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

  private count(nowMs: number, figures: Figures, country: string, outcome: "sent" | RefusalReason, by: number): void {
    const change: CountryFigures = outcome === "sent" ? { sent: by, refused: {} } : { sent: 0, refused: { [outcome]: by } };
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

const shardStub = (env: Env, shard: number) => env.PHONE_THROTTLE.get(env.PHONE_THROTTLE.idFromName(`shard:${shard}`));

/** The shard that keeps the sends to the numbers of `range` (see numberRange) and to the range itself, and its number. */
export async function rangeShard(env: Env, range: string) {
  const shard = await shardNumberOf(range);
  return { throttle: shardStub(env, shard), shard };
}

/** The shard of `range` (see rangeShard). */
export const rangeThrottle = async (env: Env, range: string) => (await rangeShard(env, range)).throttle;

/** The shard that counts the sends for `client` (see clientKey). */
export const clientThrottle = async (env: Env, client: string) => shardStub(env, await shardNumberOf(`${CLIENT}${client}`));

/** Every shard, for the operators' report. */
export const allPhoneThrottles = (env: Env) => Array.from({ length: SHARDS }, (_, shard) => shardStub(env, shard));
