// The served OpenAPI description validates against the OpenAPI 3.1 schema. (It runs here, in Node,
// because the validator compiles JSON Schemas with `new Function`, which workerd forbids; the
// route-coverage check is test/routes/openapi.test.ts.)
import { Validator } from "@seriousme/openapi-schema-validator";
import { describe, expect, it } from "vitest";
import { e2e } from "./support";

describe("OpenAPI description", () => {
  it("is a valid OpenAPI 3.1 document as served by the running Worker", async () => {
    const response = await fetch(`${e2e.baseUrl}/api/openapi.json`);
    expect(response.status).toBe(200);
    const validator = new Validator();
    const result = await validator.validate(await response.json());
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe("3.1");
  });
});
