import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { chmod } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AgentConfigError, RuntimeError } from "../errors.js";
import { assertChainDirReachable, resolveChainUser } from "./chain-user.js";

describe("the chain user (issue 9)", () => {
  let dir: string;
  let passwd: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "np-chainuser-"));
    passwd = join(dir, "passwd");
    writeFileSync(
      passwd,
      "root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\nchain:x:1234:1300::/home/chain:/bin/false\n",
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("is resolved only for an agent running as root; by name or uid:gid; root itself is refused", () => {
    expect(resolveChainUser("nobody", 1000, passwd)).toBeUndefined();
    expect(resolveChainUser("nobody", 0, passwd)).toEqual({ name: "nobody", uid: 65534, gid: 65534 });
    expect(resolveChainUser("chain", 0, passwd)).toEqual({ name: "chain", uid: 1234, gid: 1300 });
    expect(resolveChainUser("2000:2000", 0, passwd)).toEqual({ name: "2000:2000", uid: 2000, gid: 2000 });
    expect(() => resolveChainUser("root", 0, passwd)).toThrow(AgentConfigError);
    expect(() => resolveChainUser("0:0", 0, passwd)).toThrow(AgentConfigError);
    expect(() => resolveChainUser("ghost", 0, passwd)).toThrow(AgentConfigError);
  });

  it("refuses to start a node that could not reach its chain dir, naming the directory to fix", async () => {
    const closed = join(dir, "closed");
    mkdirSync(join(closed, "host", "chain"), { recursive: true });
    await chmod(dir, 0o711);
    await chmod(closed, 0o700);
    const nobody = { name: "nobody", uid: 65534, gid: 65534 };
    await expect(assertChainDirReachable(join(closed, "host", "chain"), nobody)).rejects.toThrow(RuntimeError);
    await expect(assertChainDirReachable(join(closed, "host", "chain"), nobody)).rejects.toThrow(closed);
    await chmod(closed, 0o711);
    await expect(assertChainDirReachable(join(closed, "host", "chain"), nobody)).resolves.toBeUndefined();
  });
});
