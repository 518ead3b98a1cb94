import { describe, it, expect, beforeEach, afterEach } from "vitest";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { removeStaleLockFile } from "./postgres.js";

describe("removeStaleLockFile (PostgreSQL after a crash of make run)", () => {
  let pgdata: string;
  const lock = () => join(pgdata, "postmaster.pid");
  beforeEach(() => {
    pgdata = mkdtempSync(join(tmpdir(), "np-pgdata-"));
  });
  afterEach(() => rmSync(pgdata, { recursive: true, force: true }));

  it("removes a lock whose pid now belongs to a process that is not a postgres (the pid was reused)", () => {
    writeFileSync(lock(), `${process.pid}\n${pgdata}\n`);
    removeStaleLockFile(pgdata);
    expect(existsSync(lock())).toBe(false);
  });

  it("leaves a lock whose pid is gone (PostgreSQL itself takes that one as stale) and does nothing without a lock", () => {
    writeFileSync(lock(), `99999999\n${pgdata}\n`);
    removeStaleLockFile(pgdata);
    expect(existsSync(lock())).toBe(true);
    rmSync(lock());
    expect(() => removeStaleLockFile(pgdata)).not.toThrow();
  });
});
