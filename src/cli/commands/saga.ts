import { connectNats } from "../../nats-auth/index.js";
import { type CliCommand, UsageError, parseFlags } from "../command.js";
import { loadEnv } from "../../config/index.js";
import { namesFor } from "../../eventstore/index.js";
import { createSagaClient, renderTimeline } from "../../saga/index.js";

/** `nodeplane saga history <id> [--json]`: the saga's journal as a timeline (or raw JSON). */
export const sagaHistoryCommand: CliCommand = {
  name: "saga history",
  summary: "print a saga's journal as a timeline (steps, attempts, durations, errors, compensations)",
  usage: "nodeplane saga history <sagaId> [--json]",
  async run(args) {
    const { flags, positional } = parseFlags(args, { bool: ["json"] });
    const sagaId = positional[0];
    if (!sagaId || positional.length > 1) throw new UsageError("give exactly one saga id");
    const env = loadEnv();
    const nc = await connectNats(env, { name: "nodeplane-cli" });
    try {
      const client = await createSagaClient({ nc, names: namesFor(env.NODEPLANE_NAMESPACE), readOnly: true });
      const history = await client.history(sagaId);
      console.log(flags.json ? JSON.stringify(history, null, 2) : renderTimeline(sagaId, history));
      return 0;
    } finally {
      await nc.close();
    }
  },
};
