// Request bodies are parsed here and checked with zod; failures become FusionAuth field errors:
// `[blank]field` when the value is missing or empty, `[invalid]field` otherwise. A schema can name
// another type by starting its message with it, e.g. "[tooShort]The password is too short".
import type { Context } from "hono";
import { z } from "zod";
import { fail, generalFailure, type FieldProblem } from "../../domain/failures";

/**
 * FusionAuth ids: any 8-4-4-4-12 hex string (Java's UUID.fromString accepts non-RFC-4122 ids such
 * as `10000000-0000-0002-0000-000000000001`), normalised to lower case so one id is one record.
 */
export const fusionAuthId = z.guid().transform((id) => id.toLowerCase());

/** A verification code as typed: checked for its shape by the TOTP code, not here. */
export const codeField = z.string().trim().min(1).max(16);

/** A path or query id, checked like a body field named `field`. */
export function idParam(field: string, value: string | undefined): string {
  return check(z.object({ [field]: fusionAuthId }), { [field]: value })[field] as string;
}

const NAMED_MESSAGE = /^\[(\w+)\]\s*(.*)$/;

/** An empty body reads as `{}` (some legacy calls send none). */
export async function readJson<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  const text = await c.req.text();
  let raw: unknown = {};
  if (text.trim()) {
    try {
      // A reviver slows every parse; only a body that could spell the key needs it.
      raw = text.includes("__proto__") || text.includes("\\u") ? JSON.parse(text, rejectPrototypeKeys) : JSON.parse(text);
    } catch {
      throw generalFailure("invalid", "Your JSON was invalid");
    }
  }
  return check(schema, raw);
}

export function check<S extends z.ZodType>(schema: S, raw: unknown): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const errors: FieldProblem[] = [];
  for (const issue of parsed.error.issues) {
    if (issue.path.length === 0) throw generalFailure("invalid", "Your JSON was invalid");
    const field = issue.path.join(".");
    const value = valueAt(raw, issue.path);
    const named = NAMED_MESSAGE.exec(issue.message);
    const type = named ? named[1] : isBlank(value) ? "blank" : "invalid";
    const message = named ? named[2]! : isBlank(value) ? `The [${field}] property is required.` : `The [${field}] property is invalid.`;
    errors.push({ field, type: type!, message });
  }
  throw fail({ kind: "invalid", errors });
}

function rejectPrototypeKeys(key: string, value: unknown): unknown {
  if (key === "__proto__") throw new Error("prototype key");
  return value;
}

function isBlank(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === "string" && value.trim() === "");
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let value = raw;
  for (const key of path) {
    if (value === null || typeof value !== "object" || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}
