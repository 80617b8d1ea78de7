// A user's methods (src/domain/methods.ts) and the 1.26+ decisions over them
// (src/domain/enrolment.ts addMethod, disableTwoFactor by methodId, issueOneTimeCode;
// src/domain/challenges.ts reserveMethodSend): both eras' views of one list.
import { describe, expect, it } from "vitest";
import { reserveMethodSend } from "../../src/domain/challenges";
import { disableTwoFactor } from "../../src/domain/enrolment";
import { addMethod, issueOneTimeCode } from "../../src/domain/method-enrolment";
import { legacyDelivery, legacyMethods, publicMethod, unusedMethodId, type TwoFactorMethod } from "../../src/domain/methods";
import { publicUser, upgradeUser, type UserRecord } from "../../src/domain/user";
import { account, changed, config, pure, SECOND, STEP, T0, withChallenge } from "./accounts";

const phone: TwoFactorMethod = { id: "PHN1", method: "sms", mobilePhone: "+14155550100" };
const withPhone = (guard = {}) => account({ twoFactor: { methods: [{ id: "AUTH", method: "authenticator", secret: "sealed" }, phone] } }, guard);

describe("the legacy view", () => {
  it("reads a record stored before methods as one authenticator method, with the same id on every load", () => {
    const stored = { twoFactorEnabled: true, twoFactorSecret: "v1.k1.abcdef", twoFactorDelivery: "TextMessage" as const };
    const methods = legacyMethods(stored);
    expect(methods).toEqual([{ id: expect.stringMatching(/^[A-Z0-9]{4}$/), method: "authenticator", secret: "v1.k1.abcdef", texted: true }]);
    expect(legacyMethods(stored)).toEqual(methods);
    expect(legacyMethods({ twoFactorEnabled: false })).toEqual([]);
    const upgraded = upgradeUser({ ...account().user, twoFactor: undefined as unknown as UserRecord["twoFactor"], ...stored });
    expect(upgraded.twoFactor.methods).toEqual(methods);
    expect(upgraded).not.toHaveProperty("twoFactorSecret");
  });

  it("shows twoFactorEnabled, twoFactorDelivery and the methods, never a secret", () => {
    const user = publicUser(withPhone().user, undefined, "PHN1");
    expect(user).toMatchObject({ twoFactorEnabled: true, twoFactorDelivery: "None" });
    expect(user.twoFactor.methods).toEqual([
      { id: "AUTH", method: "authenticator", authenticator: { algorithm: "HmacSHA1", codeLength: 6, timeStep: 30 } },
      { id: "PHN1", method: "sms", mobilePhone: "+14155550100", lastUsed: true },
    ]);
    expect(JSON.stringify(user)).not.toContain("sealed");
    expect(legacyDelivery([{ id: "A", method: "authenticator", secret: "s", texted: true }])).toBe("TextMessage");
    expect(publicMethod(phone)).not.toHaveProperty("lastUsed");
  });

  it("draws method ids until one is unused", () => {
    const draws = ["AUTH", "PHN1", "NEW1"];
    expect(unusedMethodId(withPhone().user.twoFactor.methods, () => draws.shift()!)).toBe("NEW1");
  });
});

describe("adding a method", () => {
  it("adds a phone only with the code sent to that number, used up; the first method sets the recovery codes", () => {
    const start = account({ twoFactor: { methods: [] } }, { generation: 0 });
    const issued = changed(issueOneTimeCode(start, "hash-1", { enable: { method: "sms", address: "+14155550100" } }, T0), start);
    const add = (number: string, otpHash: string, at = T0) =>
      pure([issued], () =>
        addMethod(issued, { method: "sms", mobilePhone: number }, { code: "123456", step: null, otpHash }, ["r1"], at, config, () => "NEW1"),
      );
    expect(add("+14155550100", "hash-2").outcome).toEqual({ outcome: "invalid-code", counted: false });
    expect(add("+14155550199", "hash-1").outcome).toEqual({ outcome: "mismatch" });
    expect(add("+14155550100", "hash-1", T0 + 61 * SECOND).outcome).toEqual({ outcome: "invalid-code", counted: false });
    const added = add("+14155550100", "hash-1");
    expect(added.outcome).toEqual({ outcome: "accepted", methodId: "NEW1", recoveryCodes: true });
    const next = changed(added, issued);
    expect(next.user.twoFactor.methods).toEqual([{ id: "NEW1", method: "sms", mobilePhone: "+14155550100" }]);
    expect(next.guard.recoveryCodes).toEqual(["r1"]);
    expect(next.guard.oneTimeCode).toBeUndefined();
  });

  it("adds an email address only with the code sent to that address, and tells a phone's code from an address's", () => {
    const start = account({ twoFactor: { methods: [] } }, { generation: 0 });
    const issued = changed(issueOneTimeCode(start, "hash-1", { enable: { method: "email", address: "jane@example.com" } }, T0), start);
    expect(issued.guard.oneTimeCode).toMatchObject({ purpose: "enable", method: "email", value: "jane@example.com" });
    const add = (method: Parameters<typeof addMethod>[1]) =>
      pure([issued], () => addMethod(issued, method, { code: "123456", step: null, otpHash: "hash-1" }, ["r1"], T0, config, () => "MAIL"));
    expect(add({ method: "email", email: "john@example.com" }).outcome).toEqual({ outcome: "mismatch" });
    expect(add({ method: "sms", mobilePhone: "jane@example.com" }).outcome).toEqual({ outcome: "mismatch" });
    const added = add({ method: "email", email: "jane@example.com" });
    expect(added.outcome).toEqual({ outcome: "accepted", methodId: "MAIL", recoveryCodes: true });
    expect(changed(added, issued).user.twoFactor.methods).toEqual([{ id: "MAIL", method: "email", email: "jane@example.com" }]);
  });

  it("adds a second authenticator for a code of its secret, keeping the recovery codes", () => {
    const start = account({}, { recoveryCodes: ["kept"] });
    const added = addMethod(start, { method: "authenticator", secret: "other" }, { code: "1", step: STEP }, ["new"], T0, config, () => "NEW2");
    expect(added.outcome).toEqual({ outcome: "accepted", methodId: "NEW2", recoveryCodes: false });
    expect(changed(added, start).guard.recoveryCodes).toEqual(["kept"]);
  });
});

describe("removing a method", () => {
  it("removes only the method the disable code was sent for, and keeps 2FA and access tokens", () => {
    const start = withPhone();
    const issued = changed(issueOneTimeCode(start, "hash-1", { methodId: "PHN1" }, T0), start);
    const disable = (methodId: string) =>
      pure([issued], () => disableTwoFactor(issued, { code: "123456", step: null, otpHash: "hash-1" }, T0, config, () => "stamp-2", methodId));
    expect(disable("AUTH").outcome).toMatchObject({ outcome: "invalid-code", counted: true });
    expect(disable("NOPE").outcome).toEqual({ outcome: "unknown-method" });
    const removed = disable("PHN1");
    const next = changed(removed, issued);
    expect(next.user.twoFactor.methods.map((method) => method.id)).toEqual(["AUTH"]);
    expect(next.guard.tokenStamp).toBe(start.guard.tokenStamp);
    expect(next.guard.oneTimeCode).toBeUndefined();
  });

  it("removes every method with a recovery code, whichever methodId is named", () => {
    const start = withPhone({ recoveryCodes: ["h1", "h2"] });
    const decision = disableTwoFactor(start, { code: "X", step: null, recoveryHashes: ["h2"] }, T0, config, undefined, "PHN1");
    const next = changed(decision, start);
    expect(next.user.twoFactor.methods).toEqual([]);
    expect(next.guard.recoveryCodes).toEqual([]);
  });

  it("matches an authenticator's code only for that authenticator", () => {
    const start = withPhone();
    const other = disableTwoFactor(start, { code: "1", step: STEP, methodId: "AUTH" }, T0, config, undefined, "PHN1");
    expect(other.outcome).toMatchObject({ outcome: "invalid-code" });
    const own = disableTwoFactor(start, { code: "1", step: STEP, methodId: "AUTH" }, T0, config, undefined, "AUTH");
    expect(changed(own, start).user.twoFactor.methods).toEqual([phone]);
  });
});

describe("a code sent during a login", () => {
  it("goes to the named phone method, replacing the login's earlier code; an authenticator or an unknown id cannot be sent to", () => {
    const start = withChallenge(withPhone());
    expect(reserveMethodSend(start, "R1", "AUTH", "h", T0, config).outcome).toEqual({ outcome: "cannot-send" });
    expect(reserveMethodSend(start, "R1", "NOPE", "h", T0, config).outcome).toEqual({ outcome: "unknown-method" });
    expect(reserveMethodSend(start, "R9", "PHN1", "h", T0, config).outcome).toEqual({ outcome: "not-found" });
    const first = changed(reserveMethodSend(start, "R1", "PHN1", "h1", T0, config), start);
    const second = changed(reserveMethodSend(first, "R1", undefined, "h2", T0, config), first);
    expect(second.guard.challenges.R1!.otp).toEqual({ hash: "h2", methodId: "PHN1" });
    expect(second.guard.challenges.R1!.smsSends).toBe(2);
  });

  it("goes to the named email method; the legacy resend, which names none, still texts the first phone", () => {
    const email: TwoFactorMethod = { id: "MAIL", method: "email", email: "jane@example.com" };
    const start = withChallenge(account({ twoFactor: { methods: [email, phone] } }));
    const mailed = reserveMethodSend(start, "R1", "MAIL", "h1", T0, config);
    expect(mailed.outcome).toEqual({ outcome: "allowed", to: { method: "email", address: "jane@example.com" }, replaced: undefined });
    expect(changed(mailed, start).guard.challenges.R1!.otp).toEqual({ hash: "h1", methodId: "MAIL" });
    expect(reserveMethodSend(start, "R1", undefined, "h2", T0, config).outcome).toMatchObject({ to: { method: "sms", address: phone.mobilePhone } });
    const onlyEmail = withChallenge(account({ twoFactor: { methods: [email] } }));
    expect(reserveMethodSend(onlyEmail, "R1", undefined, "h3", T0, config).outcome).toEqual({ outcome: "unknown-method" });
  });

  it("to disable an email method goes to its address", () => {
    const email: TwoFactorMethod = { id: "MAIL", method: "email", email: "jane@example.com" };
    const start = account({ twoFactor: { methods: [email] } });
    const issued = issueOneTimeCode(start, "h", { methodId: "MAIL" }, T0);
    expect(issued.outcome).toMatchObject({ outcome: "issued", to: { method: "email", address: "jane@example.com" } });
    expect(changed(issued, start).guard.oneTimeCode).toMatchObject({ purpose: "disable", methodId: "MAIL" });
  });
});
