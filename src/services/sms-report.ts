// The SMS guard's figures for operators: texts sent and refused, per clock hour (UTC) and destination
// country, with the reasons of the refusals. Each phone throttle shard keeps its own for 48 hours;
// the report asks every shard once and adds them up.
import { addFigures, hourOf, noFigures, type CountryFigures, type HourlyFigures } from "../domain/sms-guard";
import { allPhoneThrottles } from "../objects/phone-throttle";
import type { Scope } from "./shared/scope";

/** `hourlyCounts` oldest first (`interval`: hours since the epoch, as FusionAuth's reports count), and their sum. */
export type SmsReport = { hourlyCounts: HourlyFigures[]; total: CountryFigures };

/** The figures of the clock hours from the one holding `startMs` to the one holding `endMs`. */
export async function smsReport({ env }: Scope, startMs: number, endMs: number): Promise<SmsReport> {
  const shards = await Promise.all(allPhoneThrottles(env).map((shard) => shard.figures(hourOf(startMs), hourOf(endMs))));
  const rows = new Map<string, HourlyFigures>();
  for (const { interval, country, ...figures } of shards.flat()) {
    const key = `${interval} ${country}`;
    rows.set(key, { interval, country, ...addFigures(rows.get(key) ?? noFigures(), figures) });
  }
  // A send given back (a later limit refused it) leaves a zero behind.
  const hourlyCounts = [...rows.values()]
    .filter((row) => row.sent > 0 || Object.values(row.refused).some((count) => count > 0))
    .sort((a, b) => a.interval - b.interval || (a.country < b.country ? -1 : 1));
  return { hourlyCounts, total: hourlyCounts.reduce<CountryFigures>((total, row) => addFigures(total, row), noFigures()) };
}
