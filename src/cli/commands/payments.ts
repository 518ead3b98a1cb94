import { connectNats } from "../../nats-auth/index.js";
import { onePositional, parseFlags, UsageError, type CliCommand } from "../command.js";
import { loadEnv } from "../../config/index.js";
import { namesFor, createEventStore } from "../../eventstore/index.js";
import { ensurePaymentsStream, createLocalPaymentProvider, type PaymentProvider } from "../../payments/index.js";

/** Runs one action of the local payment provider against the configured NATS. */
async function withLocalProvider(run: (provider: PaymentProvider) => Promise<string>): Promise<number> {
  const env = loadEnv();
  const names = namesFor(env.NODEPLANE_NAMESPACE);
  const nc = await connectNats(env, { name: "nodeplane-cli-payments" });
  try {
    const store = await createEventStore(nc, { names });
    await ensurePaymentsStream(store.jsm, names);
    console.log(await run(createLocalPaymentProvider({ store })));
    return 0;
  } finally {
    await nc.drain().catch(() => {});
  }
}

/** `nodeplane payments complete <paymentId>`: the local provider reports the payment as paid (R-PAY-1). */
export const paymentsCompleteCommand: CliCommand = {
  name: "payments complete",
  summary: "publish payment.completed for a payment (local payment provider)",
  usage: "nodeplane payments complete <paymentId>",
  async run(args) {
    const { positional } = parseFlags(args);
    const paymentId = onePositional(positional, "payment id");
    return withLocalProvider(
      async (p) => `payment.completed published for ${paymentId} (stream sequence ${(await p.complete(paymentId)).sequence})`,
    );
  },
};

/** `nodeplane payments fail <paymentId> [--reason …]`: the local provider reports the payment as failed. */
export const paymentsFailCommand: CliCommand = {
  name: "payments fail",
  summary: "publish payment.failed for a payment (local payment provider)",
  usage: "nodeplane payments fail <paymentId> [--reason <text>]",
  async run(args) {
    const { flags, positional } = parseFlags(args);
    const paymentId = onePositional(positional, "payment id");
    const unknown = Object.keys(flags).filter((f) => f !== "reason");
    if (unknown.length > 0) throw new UsageError(`unknown flag --${unknown[0]}`);
    const reason = typeof flags.reason === "string" ? flags.reason : "failed by the operator (local payment provider)";
    return withLocalProvider(
      async (p) => `payment.failed published for ${paymentId} (stream sequence ${(await p.fail(paymentId, reason)).sequence})`,
    );
  },
};
