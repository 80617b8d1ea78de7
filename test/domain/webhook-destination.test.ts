// Where a webhook may send and what it may add (src/domain/webhook-destination.ts): public `https`
// hosts only, every spelling of an address judged as the WHATWG URL parser reads it; loopback only
// with the development setting; no hop-by-hop or framing headers; an empty header value in a PUT
// keeps the stored one only towards the same url.
import { describe, expect, it } from "vitest";
import { parseIp } from "../../src/domain/network";
import { headerProblem, replacedHeaders, webhookUrlProblem } from "../../src/domain/webhook-destination";

const allowed = (url: string, allowLoopback = false) => webhookUrlProblem(url, allowLoopback) === undefined;

describe("webhookUrlProblem", () => {
  it.each([
    "https://receiver.example/hooks",
    "https://hooks.example.com:8443/path?query=1#fragment",
    "https://8.8.8.8/",
    "https://9.255.255.255/",
    "https://11.0.0.0/",
    "https://100.63.255.255/",
    "https://100.128.0.0/",
    "https://172.15.255.255/",
    "https://172.32.0.0/",
    "https://192.167.255.255/",
    "https://192.169.0.0/",
    "https://198.17.255.255/",
    "https://198.20.0.0/",
    "https://223.255.255.255/",
    "https://[2606:4700:4700::1111]/",
    "https://[::ffff:8.8.8.8]/",
    "https://[64:ff9b::808:808]/",
    "https://[2002:808:808::1]/",
    "https://[2001:200::1]/",
  ])("accepts the public %s", (url) => {
    expect(webhookUrlProblem(url, false)).toBeUndefined();
  });

  // Each range of the IANA special-purpose registries (RFC 6890) the check refuses, at its edges,
  // and the spellings the WHATWG parser folds onto them (decimal, hex, octal, shortened, mapped).
  it.each([
    "https://169.254.169.254/latest/meta-data/",
    "https://10.0.0.1/",
    "https://2130706433/",
    "https://0x7f000001/",
    "https://127.1/",
    "https://0177.0.0.1/",
    "https://0x7f.1/",
    "https://2852039166/",
    "https://10.1/",
    "https://0.0.0.0/",
    "https://0/",
    "https://10.255.255.255/",
    "https://100.64.0.0/",
    "https://100.127.255.255/",
    "https://127.0.0.1/",
    "https://169.254.0.1/",
    "https://172.16.0.0/",
    "https://172.31.255.255/",
    "https://192.0.0.8/",
    "https://192.0.2.1/",
    "https://192.168.1.1/",
    "https://198.18.0.0/",
    "https://198.19.255.255/",
    "https://198.51.100.7/",
    "https://203.0.113.9/",
    "https://224.0.0.1/",
    "https://239.255.255.255/",
    "https://240.0.0.1/",
    "https://255.255.255.255/",
    "https://169.254.169.254./",
    "https://[::]/",
    "https://[::1]/",
    "https://[0:0:0:0:0:0:0:1]/",
    "https://[::ffff:169.254.169.254]/",
    "https://[::ffff:a9fe:a9fe]/",
    "https://[::ffff:127.0.0.1]/",
    "https://[::ffff:10.0.0.1]/",
    "https://[::a9fe:a9fe]/",
    "https://[64:ff9b::a9fe:a9fe]/",
    "https://[64:ff9b:1::1]/",
    "https://[2002:a9fe:a9fe::]/",
    "https://[2002:7f00:1::]/",
    "https://[100::1]/",
    "https://[2001::1]/",
    "https://[2001:db8::1]/",
    "https://[3fff::1]/",
    "https://[fc00::1]/",
    "https://[fd12:3456::1]/",
    "https://[fe80::1]/",
    "https://[febf::1]/",
    "https://[fec0::1]/",
    "https://[ff02::1]/",
    "https://localhost/",
    "https://LOCALHOST./",
    "https://api.localhost/",
    "https://intranet/",
    "https://intranet./",
    "https://intranet../",
    "https://localhost../",
    "https://127.0.0.1../",
    "https://metadata.google.internal/",
    "https://printer.local/",
    "https://router.home.arpa/",
  ])("refuses %s", (url) => {
    expect(webhookUrlProblem(url, false)).toMatch(/./);
  });

  it.each([
    "http://receiver.example/",
    "ftp://receiver.example/",
    "javascript:alert(1)",
    "not a url",
    "",
    "https://user:pass@receiver.example/",
    "https://user@receiver.example/",
  ])("refuses %j: only https, without a user name or password", (url) => {
    expect(allowed(url)).toBe(false);
    expect(allowed(url, true)).toBe(false);
  });

  it.each([
    "http://127.0.0.1:9/",
    "https://127.0.0.1/",
    "http://127.1:8787/",
    "http://2130706433/",
    "http://0x7f000001/",
    "http://127.255.255.254/",
    "http://[::1]:8080/",
    "http://localhost:8787/hooks",
    "http://api.localhost/",
  ])("accepts the loopback %s only with the development setting", (url) => {
    expect(webhookUrlProblem(url, false)).toMatch(/WEBHOOK_ALLOW_LOOPBACK/);
    expect(allowed(url, true)).toBe(true);
  });

  it("keeps refusing everything else with the development setting", () => {
    for (const url of [
      "http://10.0.0.1/",
      "https://169.254.169.254/",
      "http://192.168.1.1/",
      "http://[fe80::1]/",
      "http://receiver.example/",
      "https://intranet/",
    ]) {
      expect(allowed(url, true), url).toBe(false);
    }
    expect(allowed("ws://127.0.0.1/", true)).toBe(false);
    expect(allowed("http://user:pass@127.0.0.1/", true)).toBe(false);
  });
});

describe("webhook hosts read as the SMS guard and lockouts read client addresses (parseIp)", () => {
  // Each host, as the WHATWG parser leaves it, is the address parseIp reads, and is judged as that address.
  it.each([
    ["[::ffff:127.0.0.1]", "127.0.0.1"],
    ["[::ffff:7f00:1]", "127.0.0.1"],
    ["[0:0:0:0:0:ffff:7f00:1]", "127.0.0.1"],
    ["0x7f000001", "127.0.0.1"],
    ["[::FFFF:A9FE:A9FE]", "169.254.169.254"],
    ["[::ffff:10.0.0.1]", "10.0.0.1"],
    ["[::ffff:8.8.8.8]", "8.8.8.8"],
    ["[0:0:0:0:0:0:0:1]", "[::1]"],
    ["[2001:DB8:0:0::1]", "[2001:db8::1]"],
    ["[2606:4700:4700:0:0:0:0:1111]", "[2606:4700:4700::1111]"],
  ])("%s is %s", (host, address) => {
    expect(parseIp(new URL(`https://${host}/`).hostname)).toEqual(parseIp(address));
    for (const allowLoopback of [false, true]) {
      expect(webhookUrlProblem(`https://${host}/`, allowLoopback)).toBe(webhookUrlProblem(`https://${address}/`, allowLoopback));
      expect(webhookUrlProblem(`http://${host}/`, allowLoopback)).toBe(webhookUrlProblem(`http://${address}/`, allowLoopback));
    }
  });

  it.each(["[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "[::ffff:127.255.255.254]"])("%s is loopback, allowed only with the development setting", (host) => {
    expect(webhookUrlProblem(`http://${host}:8787/`, false)).toMatch(/WEBHOOK_ALLOW_LOOPBACK/);
    expect(allowed(`http://${host}:8787/`, true)).toBe(true);
  });
});

describe("headerProblem", () => {
  it.each([
    "Connection",
    "connection",
    "Keep-Alive",
    "Proxy-Authenticate",
    "Proxy-Authorization",
    "Proxy-Connection",
    "TE",
    "Trailer",
    "Trailers",
    "Transfer-Encoding",
    "UPGRADE",
    "Host",
    "Content-Length",
    "Expect",
  ])("refuses the hop-by-hop or framing header %s", (name) => {
    expect(headerProblem(name)?.type).toBe("invalid");
  });

  it.each(["Content-Type", "content-type", "X-FusionAuth-Signature-JWT"])("reserves %s, which the delivery sets", (name) => {
    expect(headerProblem(name)?.type).toBe("reserved");
  });

  it.each(["Authorization", "X-Api-Key", "X-Upgrade", "Connection-Id"])("accepts %s", (name) => {
    expect(headerProblem(name)).toBeUndefined();
  });
});

describe("replacedHeaders", () => {
  const stored = { Authorization: "Bearer stored", "X-Empty": "" };

  it("keeps a stored value for an empty one towards the same url; new values replace; left out is removed", () => {
    expect(replacedHeaders({ Authorization: "", "X-New": "n" }, stored, true)).toEqual({
      headers: { Authorization: "Bearer stored", "X-New": "n" },
      missing: [],
    });
    expect(replacedHeaders({ Authorization: "Bearer new" }, stored, true)).toEqual({ headers: { Authorization: "Bearer new" }, missing: [] });
    expect(replacedHeaders({}, stored, true)).toEqual({ headers: {}, missing: [] });
  });

  it("names the stored values an empty one would keep towards another url", () => {
    expect(replacedHeaders({ Authorization: "", "X-Empty": "", "X-Other": "" }, stored, false)).toEqual({
      headers: { Authorization: "", "X-Empty": "", "X-Other": "" },
      missing: ["Authorization"],
    });
    expect(replacedHeaders({ Authorization: "Bearer again" }, stored, false)).toEqual({ headers: { Authorization: "Bearer again" }, missing: [] });
  });

  it("matches names exactly, as they are stored and listed", () => {
    expect(replacedHeaders({ authorization: "" }, stored, true)).toEqual({ headers: { authorization: "" }, missing: [] });
  });
});
