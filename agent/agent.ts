import { randomUUID } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { hostname } from "node:os";
import { agentSubjects, CommandType, SINGLE_COMPONENT, type ComponentSpec, type NodeHealth } from "../schemas/agent/index.js";
import { commandHandlers } from "./commands/index.js";
import { NodeComponents } from "./components.js";
import { agentPaths, type AgentConfig, type AgentPaths } from "./config.js";
import { agentDefaults } from "./defaults.js";
import { errorMessage } from "./errors.js";
import { CommandExecutor } from "./executor.js";
import { agentInboxPrefix } from "./inbox.js";
import { AgentLink } from "./link.js";
import type { Logger } from "./log.js";
import { Outbox } from "./outbox.js";
import { AgentObservation, loadObservation } from "./observation.js";
import { loadComponents } from "./recipe.js";
import { prepareHostDirs, resolveChainUser, type ChainUser } from "./runtime/chain-user.js";
import { ProcessRuntime } from "./runtime/process.js";
import { hostVars } from "./template.js";

/**
 * One agent process (R-AGENT-1..2): registers, heartbeats with its running commands and the node's
 * health, hands the commands of each heartbeat reply to the executor, and flushes the outbox of
 * command events whenever one is queued or the connection comes back (after re-registering).
 */
export class Agent {
  readonly instanceId = randomUUID();
  readonly paths: AgentPaths;
  private link!: AgentLink;
  private executor!: CommandExecutor;
  private outbox!: Outbox;
  private node!: NodeComponents;
  private components: ComponentSpec[] | undefined;
  private registered = false;
  /** The last heartbeat (or registration) was answered: metrics are sent only then, else they wait in the buffer. */
  private answered = false;
  private observation!: AgentObservation;
  private registering: Promise<void> | undefined;
  private heartbeatMs: number;
  private stallCheckMs: number;
  /** The next heartbeat's seq: kept after a failed beat, so a lost reply is asked for again (the gateway answers a re-sent seq with the same commands). */
  private seq = 1;
  private hbTimer: NodeJS.Timeout | undefined;
  private stallTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly startedAt = new Date().toISOString();

  /** The chain node's user (the agent is root), or undefined: it runs as the agent's own. */
  private readonly chainUser: ChainUser | undefined;

  constructor(
    private readonly cfg: AgentConfig,
    private readonly log: Logger,
  ) {
    this.paths = agentPaths(cfg.dataDir);
    this.chainUser = resolveChainUser(cfg.chainUser, process.getuid?.() ?? -1);
    this.heartbeatMs = cfg.heartbeatMs ?? agentDefaults.heartbeatMs;
    this.stallCheckMs = cfg.stallCheckMs ?? agentDefaults.stallCheckMs;
  }

  /** Starts everything; resolves once connected (registration and heartbeats continue in the background). */
  async start(): Promise<void> {
    for (const dir of [this.paths.chainData, this.paths.staging, this.paths.run, this.paths.state]) await mkdir(dir, { recursive: true });
    if (this.chainUser) await prepareHostDirs(this.paths);
    else if (process.getuid?.() !== 0) this.log.info("the agent is not root: the chain node runs as the agent's own user");
    this.outbox = await Outbox.open(this.paths.outbox);
    // The single component `node` keeps the run dir's own node.pid/node.log; others get run/<name>/.
    this.node = new NodeComponents(
      "process",
      (name) =>
        new ProcessRuntime({
          chainDir: this.paths.chainData,
          runDir: name === SINGLE_COMPONENT ? this.paths.run : join(this.paths.run, name),
          log: this.log.child({ component: name }),
          user: this.chainUser,
        }),
    );
    this.components = await loadComponents(this.paths.state);
    await this.node.recover(this.components);
    const subjects = agentSubjects(this.cfg.nodeId, this.cfg.namespace);
    const vars = hostVars(this.paths.chainData, this.cfg.nodeId);
    this.observation = new AgentObservation({
      nodeId: this.cfg.nodeId,
      vars,
      chainDir: this.paths.chainData,
      chainUser: this.chainUser,
      log: this.log.child({ part: "observation" }),
      bufferSamples: this.cfg.metricsBufferSamples,
      publish: (data) => this.link.publishMetrics(data),
      reachable: () => this.answered && this.registered && this.link.connected,
    });
    this.link = await AgentLink.open({
      natsUrl: this.cfg.natsUrl,
      inboxPrefix: agentInboxPrefix(this.cfg.namespace, this.cfg.nodeId),
      nodeId: this.cfg.nodeId,
      subjects,
      requestTimeoutMs: this.cfg.requestTimeoutMs,
      log: this.log,
      ...(this.cfg.creds ? { creds: this.cfg.creds } : {}),
      onReconnect: () => {
        this.registered = false;
        this.answered = false;
        void this.ensureRegistered();
      },
      onDisconnect: () => {
        this.registered = false;
        this.answered = false;
      },
    });
    this.executor = new CommandExecutor({
      nodeId: this.cfg.nodeId,
      instanceId: this.instanceId,
      outbox: this.outbox,
      log: this.log,
      stallChecks: this.cfg.stallChecks ?? agentDefaults.stallChecks,
      onQueued: () => void this.flush(),
      handlers: commandHandlers({
        nodeId: this.cfg.nodeId,
        paths: this.paths,
        vars,
        node: this.node,
        log: this.log,
        chainOwner: this.chainUser,
        components: () => this.components,
        setComponents: (c) => {
          this.components = c;
        },
        health: () => this.health(),
        observation: this.observation,
        // The gateway hands out keys only for an acknowledged command: the ack (queued in the outbox
        // before the handler runs) is sent first, or a fast key request would overtake it.
        requestSealedKeys: async (id, pk) => {
          await this.flush();
          return this.link.requestSealedKeys(id, pk);
        },
      }),
    });
    this.log.info({ subjects: subjects.all, outbox: await this.outbox.size() }, "agent connected");
    await this.observation.apply(await loadObservation(this.paths.state));
    await this.ensureRegistered();
    this.scheduleHeartbeat(0);
    this.restartStallTimer();
  }

  /** Stops heartbeating and closes the link; the chain node keeps running (a new agent adopts it). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.hbTimer);
    clearInterval(this.stallTimer);
    this.node?.detach();
    await this.observation?.stop();
    await this.link?.close();
  }

  /** The node's health: what the runtime says of each component, plus its own metrics when it runs. */
  async health(): Promise<NodeHealth> {
    return this.node.health(this.components);
  }

  private ensureRegistered(): Promise<void> {
    if (this.registering) return this.registering;
    this.registering = (async () => {
      while (!this.stopped && !this.registered) {
        try {
          const rep = await this.link.register({
            v: 1,
            nodeId: this.cfg.nodeId,
            instanceId: this.instanceId,
            agentVersion: this.cfg.version,
            hostname: hostname().slice(0, 255) || "host",
            capabilities: [...CommandType.options],
            runtime: this.node.kind,
            startedAt: this.startedAt,
          });
          this.registered = true;
          this.answered = true;
          this.applyTiming(rep.heartbeatIntervalMs, rep.stallCheckIntervalMs, rep.stallChecks);
          this.log.info({ firstRegistration: rep.firstRegistration, heartbeatMs: this.heartbeatMs }, "agent registered");
          void this.flush();
        } catch (err) {
          this.log.warn({ err: errorMessage(err) }, "registration failed; retrying");
          await new Promise((r) => setTimeout(r, Math.min(this.heartbeatMs, 2_000)));
        }
      }
    })().finally(() => {
      this.registering = undefined;
    });
    return this.registering;
  }

  /** The control plane's timing applies unless the operator set a value explicitly. */
  private applyTiming(heartbeatMs: number, stallCheckMs: number, stallChecks: number): void {
    this.heartbeatMs = this.cfg.heartbeatMs ?? heartbeatMs;
    const check = this.cfg.stallCheckMs ?? stallCheckMs;
    this.executor.setStallChecks(this.cfg.stallChecks ?? stallChecks);
    if (check !== this.stallCheckMs) {
      this.stallCheckMs = check;
      this.restartStallTimer();
    }
  }

  private restartStallTimer(): void {
    clearInterval(this.stallTimer);
    this.stallTimer = setInterval(() => this.executor.checkStalls(), this.stallCheckMs);
  }

  private scheduleHeartbeat(delay: number): void {
    if (this.stopped) return;
    this.hbTimer = setTimeout(() => void this.beat().finally(() => this.scheduleHeartbeat(this.heartbeatMs)), delay);
  }

  private async beat(): Promise<void> {
    if (!this.link.connected || !this.registered) return;
    try {
      const rep = await this.link.heartbeat({
        v: 1,
        nodeId: this.cfg.nodeId,
        instanceId: this.instanceId,
        seq: this.seq,
        sentAt: new Date().toISOString(),
        agentVersion: this.cfg.version,
        running_command_ids: this.executor.runningIds(),
        stalled: this.executor.stalledIds(),
        health: await this.health(),
      });
      this.seq++;
      const wasAnswered = this.answered;
      this.answered = true;
      // The control plane answers again: what waited in the buffer goes now, not at the next tick.
      if (!wasAnswered) this.observation.ship();
      if (this.cfg.heartbeatMs === undefined) this.heartbeatMs = rep.heartbeatIntervalMs;
      if (rep.commands.length > 0) await this.executor.accept(rep.commands);
      // The control plane answers again: send what an earlier flush had to keep (e.g. the leaf's
      // uplink was cut while this agent's own connection stayed up, so no reconnect announced it).
      void this.flush();
    } catch (err) {
      this.answered = false;
      this.log.warn({ err: errorMessage(err) }, "heartbeat failed");
    }
  }

  private async flush(): Promise<void> {
    if (!this.registered || !this.link.connected) return;
    await this.outbox
      .flush((e) => this.link.sendEvent(e))
      .catch((err: unknown) => this.log.error({ err: errorMessage(err) }, "outbox flush failed"));
  }
}
