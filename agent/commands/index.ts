import type { CommandOf } from "../../schemas/agent/index.js";
import type { CommandExecutor } from "../executor.js";
import { captureKey } from "./capture-key.js";
import { configure } from "./configure.js";
import type { CommandContext } from "./context.js";
import { injectKeys } from "./inject-keys.js";
import { start, status, stop } from "./lifecycle.js";
import { snapshotCreate, snapshotRestore } from "./snapshot.js";

export type { CommandContext, SealedKey } from "./context.js";

/** The handler of each command type of this protocol version. */
export function commandHandlers(ctx: CommandContext): ConstructorParameters<typeof CommandExecutor>[0]["handlers"] {
  return {
    CONFIGURE: (c, p) => configure(ctx, c as CommandOf<"CONFIGURE">, p),
    START: (c, p) => start(ctx, c as CommandOf<"START">, p),
    STOP: (c, p) => stop(ctx, c as CommandOf<"STOP">, p),
    STATUS: () => status(ctx),
    CAPTURE_KEY: (c, p) => captureKey(ctx, c as CommandOf<"CAPTURE_KEY">, p),
    INJECT_KEYS: (c, p) => injectKeys(ctx, c as CommandOf<"INJECT_KEYS">, p),
    SNAPSHOT_CREATE: (c, p) => snapshotCreate(ctx, c as CommandOf<"SNAPSHOT_CREATE">, p),
    SNAPSHOT_RESTORE: (c, p) => snapshotRestore(ctx, c as CommandOf<"SNAPSHOT_RESTORE">, p),
  };
}
