import { describe, expect, it } from "vitest";
import { JsonPathError, jsonValueToNumber, parseJsonPath, pickJsonPath } from "./json-path.js";
import { JsonPath } from "../../schemas/agent/observation.js";

const doc = {
  result: { sync_info: { latest_block_height: "123", catching_up: false } },
  peers: [{ id: "a", score: 1.5 }, { id: "b" }],
  "sync-info": { lag: 7 },
  $meta: { "x.y": 2 },
};

describe("JSON paths of http collectors", () => {
  it("parses keys, indexes and quoted keys", () => {
    expect(parseJsonPath("a.b[0].c")).toEqual(["a", "b", 0, "c"]);
    expect(parseJsonPath('["sync-info"].lag')).toEqual(["sync-info", "lag"]);
    expect(parseJsonPath('[2]["a\\"b"]')).toEqual([2, 'a"b']);
    expect(parseJsonPath("$meta")).toEqual(["$meta"]);
  });

  it("picks values, missing steps give undefined", () => {
    expect(pickJsonPath(doc, "result.sync_info.latest_block_height")).toBe("123");
    expect(pickJsonPath(doc, "peers[0].score")).toBe(1.5);
    expect(pickJsonPath(doc, "peers[1].score")).toBeUndefined();
    expect(pickJsonPath(doc, "peers[5].id")).toBeUndefined();
    expect(pickJsonPath(doc, '["sync-info"].lag')).toBe(7);
    expect(pickJsonPath(doc, '$meta["x.y"]')).toBe(2);
    expect(pickJsonPath(doc, "result[0]")).toBeUndefined();
    expect(pickJsonPath(doc, "peers.id")).toBeUndefined();
    expect(pickJsonPath([10, 20], "[1]")).toBe(20);
  });

  it("never reaches Object.prototype", () => {
    expect(pickJsonPath(doc, "constructor")).toBeUndefined();
    expect(pickJsonPath(doc, "result.__proto__")).toBeUndefined();
    expect(pickJsonPath(doc, "result.toString")).toBeUndefined();
  });

  it("refuses malformed paths, in the schema and in the parser", () => {
    for (const bad of ["", "a..b", "a.", ".a", "a[x]", "a[0", "a b", "a.[0]", '["unterminated]']) {
      expect(JsonPath.safeParse(bad).success, bad).toBe(false);
      expect(() => parseJsonPath(bad), bad).toThrow(JsonPathError);
    }
    for (const good of ["a", "a.b[0].c", "[0]", '["k-1"].v', "a_b.$c-d"]) expect(JsonPath.safeParse(good).success, good).toBe(true);
  });

  it("turns numbers, numeric strings and booleans into sample values", () => {
    expect(jsonValueToNumber(3)).toBe(3);
    expect(jsonValueToNumber(" 123 ")).toBe(123);
    expect(jsonValueToNumber("1e3")).toBe(1000);
    expect(jsonValueToNumber(true)).toBe(1);
    expect(jsonValueToNumber(false)).toBe(0);
    expect(jsonValueToNumber("+Inf")).toBe(Infinity);
    expect(Number.isNaN(jsonValueToNumber("NaN"))).toBe(true);
    for (const no of ["abc", "", null, {}, [], "0x10", undefined]) expect(jsonValueToNumber(no)).toBeUndefined();
  });
});
