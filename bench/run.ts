/**
 * `make bench`: every benchmark, each printing ratios against a raw baseline measured in the same
 * run. `make bench ONLY=append` (or BENCH=append,projection) runs a subset.
 */
import { benchStack } from "./support.js";
import { benches } from "./benches.js";

const only = (process.env.BENCH ?? process.env.ONLY ?? "").split(",").filter(Boolean);
const stack = await benchStack();
try {
  for (const [name, run] of Object.entries(benches)) {
    if (only.length && !only.includes(name)) continue;
    console.log(`\n== ${name}`);
    await run({
      natsUrl: stack.natsUrl,
      databaseUrl: stack.databaseUrl,
      redisUrl: stack.redisUrl,
      ...(stack.victoriaMetricsUrl ? { victoriaMetricsUrl: stack.victoriaMetricsUrl } : {}),
    });
  }
} finally {
  await stack.stop();
}
