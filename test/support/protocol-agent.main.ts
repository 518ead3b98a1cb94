/**
 * A ProtocolAgent as its own process, so that fault specs can kill it for real: it registers,
 * heartbeats every HEARTBEAT_MS, acknowledges each command it receives and then reports progress on
 * it forever (a long CONFIGURE). Prints `registered <instanceId>` and `acked <commandId>`.
 * Usage: tsx test/support/protocol-agent.main.ts <nodeId>   (env: NATS_URL, NODEPLANE_NAMESPACE, HEARTBEAT_MS)
 */
import { ProtocolAgent } from "./protocol-agent.js";

const nodeId = process.argv[2];
if (!nodeId) throw new Error("usage: protocol-agent.main.ts <nodeId>");
const intervalMs = Number(process.env.HEARTBEAT_MS ?? 50);
const agent = await ProtocolAgent.connect({
  natsUrl: process.env.NATS_URL ?? "",
  namespace: process.env.NODEPLANE_NAMESPACE ?? "",
  nodeId,
});
const reg = await agent.register();
if (!reg.ok) throw new Error(`registration refused: ${reg.error.message}`);
console.log(`registered ${agent.instanceId}`);
let percent = 0;
setInterval(() => {
  void (async () => {
    const hb = await agent.heartbeat();
    if (hb.ok)
      for (const c of hb.commands) {
        await agent.ack(c.id);
        console.log(`acked ${c.id}`);
      }
    for (const id of agent.running) await agent.progress(id, "working", (percent = Math.min(99, percent + 1)));
  })().catch((err: unknown) => console.error(err));
}, intervalMs);
