// AES-256-GCM at rest: ENCRYPTION_KEY is `keyId:base64Key[,keyId:base64Key…]`; the first key
// encrypts, every key decrypts, the key id travels in the ciphertext, and `context` is bound as
// associated data. sealText/openText do the same for text (UTF-8): webhook signing keys and header
// values, the Twilio auth token.
import { describe, expect, it } from "vitest";
import { encodeBase64 } from "../../src/domain/encoding";
import { decrypt, encrypt, openText, sealText } from "../../src/crypto/keyring";

const keyOf = (fill: number) => encodeBase64(new Uint8Array(32).map((_, i) => (fill + i) & 0xff));
const KEY_A = keyOf(1);
const KEY_B = keyOf(101);
const PLAINTEXT = new TextEncoder().encode("a two-factor secret");
const CONTEXT = "two-factor-secret:00000000-0000-4000-8000-000000000abc";

describe("encrypt and decrypt", () => {
  it("round-trips a value", async () => {
    const sealed = await encrypt(`k1:${KEY_A}`, PLAINTEXT, CONTEXT);
    expect(sealed).toMatch(/^v1\.k1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain("two-factor secret");
    expect(await decrypt(`k1:${KEY_A}`, sealed, CONTEXT)).toEqual(PLAINTEXT);
  });

  it("uses a fresh IV for every encryption", async () => {
    const [first, second] = await Promise.all([encrypt(`k1:${KEY_A}`, PLAINTEXT, CONTEXT), encrypt(`k1:${KEY_A}`, PLAINTEXT, CONTEXT)]);
    expect(first).not.toBe(second);
  });

  it("refuses to decrypt under a different context", async () => {
    const sealed = await encrypt(`k1:${KEY_A}`, PLAINTEXT, CONTEXT);
    await expect(decrypt(`k1:${KEY_A}`, sealed, `${CONTEXT}x`)).rejects.toThrow();
  });

  it("decrypts old ciphertexts after a key rotation and encrypts new ones with the new key", async () => {
    const old = await encrypt(`k1:${KEY_A}`, PLAINTEXT, CONTEXT);
    const rotated = `k2:${KEY_B},k1:${KEY_A}`;
    expect(await decrypt(rotated, old, CONTEXT)).toEqual(PLAINTEXT);
    const fresh = await encrypt(rotated, PLAINTEXT, CONTEXT);
    expect(fresh.startsWith("v1.k2.")).toBe(true);
    expect(await decrypt(rotated, fresh, CONTEXT)).toEqual(PLAINTEXT);
    await expect(decrypt(`k1:${KEY_A}`, fresh, CONTEXT)).rejects.toThrow();
  });

  it("throws for a ciphertext whose key id is unknown", async () => {
    const sealed = await encrypt(`k9:${KEY_B}`, PLAINTEXT, CONTEXT);
    await expect(decrypt(`k1:${KEY_A}`, sealed, CONTEXT)).rejects.toThrow();
  });

  it("throws for a ciphertext under a known key id but the wrong key", async () => {
    const sealed = await encrypt(`k1:${KEY_B}`, PLAINTEXT, CONTEXT);
    await expect(decrypt(`k1:${KEY_A}`, sealed, CONTEXT)).rejects.toThrow();
  });

  it("throws for a tampered ciphertext", async () => {
    const sealed = await encrypt(`k1:${KEY_A}`, PLAINTEXT, CONTEXT);
    const [format, keyId, iv, body] = sealed.split(".") as [string, string, string, string];
    const flip = (text: string) => (text[0] === "A" ? "B" : "A") + text.slice(1);
    await expect(decrypt(`k1:${KEY_A}`, [format, keyId, iv, flip(body)].join("."), CONTEXT)).rejects.toThrow();
    await expect(decrypt(`k1:${KEY_A}`, [format, keyId, flip(iv), body].join("."), CONTEXT)).rejects.toThrow();
    await expect(decrypt(`k1:${KEY_A}`, [format, keyId, iv].join("."), CONTEXT)).rejects.toThrow();
    await expect(decrypt(`k1:${KEY_A}`, ["v0", keyId, iv, body].join("."), CONTEXT)).rejects.toThrow();
  });

  it("throws for a setting whose key is not 32 bytes", async () => {
    const short = encodeBase64(new Uint8Array(16).fill(7));
    await expect(encrypt(`k1:${short}`, PLAINTEXT, CONTEXT)).rejects.toThrow();
    await expect(encrypt(`k1:${KEY_A},k0:${encodeBase64(new Uint8Array(33))}`, PLAINTEXT, CONTEXT)).rejects.toThrow();
    await expect(encrypt("k1:not base64!", PLAINTEXT, CONTEXT)).rejects.toThrow();
  });

  it("throws when no key is configured", async () => {
    await expect(encrypt(undefined, PLAINTEXT, CONTEXT)).rejects.toThrow();
  });
});

describe("sealText and openText", () => {
  const WEBHOOK_HEADER = "webhooks.00000000-0000-4000-8000-000000000001.headers.Authorization";
  const TWILIO_TOKEN = "integrations.twilio.authToken";

  it("open what the webhook and Twilio settings stored before, under KEY_A", async () => {
    // Made by `encrypt(setting, new TextEncoder().encode(text), context)`, as both sealed text before.
    const header = "v1.k1.-HlQBU7xEjlsSLjg.AZgyL-cAWbU25qMXF02TH-aJBeCNflHL0R3v6o0mU7cz5ifG";
    const token = "v1.k1.zmR_QjKUZZVUvU95.brlHq52ZB1HaJuY88iJLdcgs7ahydxZsErCGUyDrUDkHssJwPydLVGzlNQhkZYWyg2g";
    expect(await openText(`k1:${KEY_A}`, WEBHOOK_HEADER, header)).toBe("Bearer ü-tøken ✓");
    expect(await openText(`k1:${KEY_A}`, TWILIO_TOKEN, token)).toBe("twilio-auth-token-0123456789abcdef");
  });

  it("seal text as UTF-8 through encrypt: decrypt opens it", async () => {
    const sealed = await sealText(`k1:${KEY_A}`, WEBHOOK_HEADER, "Bearer ü-tøken ✓");
    expect(sealed).toMatch(/^v1\.k1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(new TextDecoder().decode(await decrypt(`k1:${KEY_A}`, sealed, WEBHOOK_HEADER))).toBe("Bearer ü-tøken ✓");
    expect(await openText(`k1:${KEY_A}`, WEBHOOK_HEADER, sealed)).toBe("Bearer ü-tøken ✓");
    expect(await openText(`k1:${KEY_A}`, WEBHOOK_HEADER, await sealText(`k1:${KEY_A}`, WEBHOOK_HEADER, ""))).toBe("");
  });

  it("refuse another context or a setting without the key, also once the text was opened", async () => {
    const sealed = await sealText(`k1:${KEY_A}`, TWILIO_TOKEN, "token");
    expect(await openText(`k1:${KEY_A}`, TWILIO_TOKEN, sealed)).toBe("token");
    await expect(openText(`k1:${KEY_A}`, WEBHOOK_HEADER, sealed)).rejects.toThrow();
    await expect(openText(`k2:${KEY_B}`, TWILIO_TOKEN, sealed)).rejects.toThrow();
    await expect(openText(`k1:${KEY_B}`, TWILIO_TOKEN, sealed)).rejects.toThrow();
  });
});
