// Worker vars become the Config once per env object: a request does not parse them again, and a
// different env (another deployment's vars) is read afresh.
import { describe, expect, it } from "vitest";
import { DEFAULTS, parseConfig } from "../../src/domain/config";
import { readConfig } from "../../src/kv/config";

describe("readConfig", () => {
  it("reads an env once and answers the same Config for it, and reads another env afresh", () => {
    const env = { JWT_TTL_SECONDS: "120", SMS_MAX_PER_COUNTRY_PER_HOUR: "GB:7" } as unknown as Env;
    const config = readConfig(env);
    expect(config.jwtTtlSeconds).toBe(120);
    expect(config.sms.guard.maxPerCountryPerHour.byCountry.GB).toBe(7);
    expect(readConfig(env)).toBe(config);
    const other = readConfig({ JWT_TTL_SECONDS: "not a number" } as unknown as Env);
    expect(other).not.toBe(config);
    expect(other.jwtTtlSeconds).toBe(DEFAULTS.jwtTtlSeconds);
  });
});

describe("parseConfig", () => {
  it("reads LOGIN_REPLICA_DELAY_SECONDS, five minutes by default", () => {
    expect(parseConfig({}).loginReplicaDelaySeconds).toBe(300);
    expect(parseConfig({ LOGIN_REPLICA_DELAY_SECONDS: "3600" }).loginReplicaDelaySeconds).toBe(3600);
    expect(parseConfig({ LOGIN_REPLICA_DELAY_SECONDS: "-1" }).loginReplicaDelaySeconds).toBe(300);
  });

  it("refuses every number class by default, and derives the client caps it is not given", () => {
    const { guard } = parseConfig({}).sms;
    expect(guard.refusedNumberClasses).toEqual(["premium-rate", "shared-cost", "satellite", "non-geographic", "toll-free", "personal"]);
    expect([guard.maxPerIpPerHour, guard.maxPerUnparseableIpPerHour, guard.maxPerCallerPerHour]).toEqual([30, 30, 500]);
    const set = parseConfig({ SMS_MAX_PER_IP_PER_HOUR: "10", SMS_MAX_PER_HOUR: "101" }).sms.guard;
    expect([set.maxPerUnparseableIpPerHour, set.maxPerCallerPerHour]).toEqual([10, 51]);
    const named = parseConfig({ SMS_MAX_PER_UNPARSEABLE_IP_PER_HOUR: "3", SMS_MAX_PER_CALLER_PER_HOUR: "40" }).sms.guard;
    expect([named.maxPerUnparseableIpPerHour, named.maxPerCallerPerHour]).toEqual([3, 40]);
  });
});
