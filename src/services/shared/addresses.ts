// Where codes go: phone numbers (E.164) and email addresses, as methods keep them and sends use them,
// normalised once here, or refused with the field's error.
import { normalizeEmail } from "../../domain/email-address";
import { invalidField } from "../../domain/failures";
import type { UserInput } from "../../domain/user-input";
import { normalizePhone } from "../../sms/phone";
import type { Scope } from "./scope";

/** `mobilePhone` in E.164, or `[invalid]<field>` when no text could reach it. */
export function phoneNumber(scope: Scope, mobilePhone: string, field: string): string {
  const phone = normalizePhone(mobilePhone, scope.config.defaultPhoneRegion);
  if (!phone) throw invalidField(field, "invalid", `The [${field}] is not a phone number.`);
  return phone;
}

/** `email` trimmed with its domain lower-cased, or `[invalid]<field>` when no email could reach it. */
export function emailAddress(email: string, field: string): string {
  const address = normalizeEmail(email);
  if (!address) throw invalidField(field, "invalid", `The [${field}] is not an email address.`);
  return address;
}

/** `input` with the addresses of its `twoFactor.methods` normalised (phones in E.164), refusing one no code could reach. */
export function withMethodAddresses(scope: Scope, input: UserInput): UserInput {
  const methods = input.twoFactor?.methods;
  if (!methods) return input;
  const normalized = methods.map((method, index) => {
    const field = `user.twoFactor.methods[${index}]`;
    if (method.method === "sms" && method.mobilePhone) return { ...method, mobilePhone: phoneNumber(scope, method.mobilePhone, `${field}.mobilePhone`) };
    if (method.method === "email" && method.email) return { ...method, email: emailAddress(method.email, `${field}.email`) };
    return method;
  });
  return { ...input, twoFactor: { ...input.twoFactor, methods: normalized } };
}
