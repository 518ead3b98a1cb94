import { describe, it, expect } from "vitest";
import { randomBytes } from "node:crypto";
import { needlesOf, scanFor } from "./secret-scan.js";

/** The e2e secret scans are only as good as their needles: each form a secret can leak in must be found. */
describe("secret scan", () => {
  const key = randomBytes(32);
  const needles = needlesOf("k", key);
  const src = (where: string, text: string | Buffer) => ({ where, bytes: Buffer.isBuffer(text) ? text : Buffer.from(text) });

  it("finds a key written raw, in hex (either case), base64 or base64url, inside other text", () => {
    for (const [form, text] of [
      ["raw", Buffer.concat([Buffer.from("prefix "), key, Buffer.from(" suffix")])],
      ["hex", `{"msg":"key ${key.toString("hex")}"}`],
      ["HEX", `KEY=${key.toString("hex").toUpperCase()}`],
      ["base64", `"value":"${key.toString("base64")}"`],
      ["base64url", `token=${key.toString("base64url")}&x=1`],
    ] as const) {
      expect(
        scanFor(needles, [src(form, text)]).map((h) => h.needle),
        form,
      ).toContain(`k (${form})`);
    }
  });

  it("finds a JSON key file quoted inside a JSON log line", () => {
    const file = JSON.stringify({ priv_key: { type: "tendermint/PrivKeyEd25519", value: key.toString("base64") } }, null, 2);
    const line = JSON.stringify({ level: 50, msg: "oops", body: file });
    expect(scanFor(needlesOf("file", file), [src("log", line)]).map((h) => h.needle)).toContain("file (json-escaped)");
  });

  it("reports nothing for text without the key, and names the source of a hit", () => {
    expect(scanFor(needles, [src("a", randomBytes(4096)), src("b", "nothing here")])).toEqual([]);
    expect(scanFor(needles, [src("c", key.toString("hex"))])).toEqual([{ needle: "k (hex)", where: "c" }]);
  });
});
