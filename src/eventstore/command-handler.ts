import { ConcurrencyError } from "./errors.js";
import type { EventContext, NewEvent, StoredEvent } from "./envelope.js";
import type { EventStore, StreamRevision } from "./event-store.js";
import { defaults } from "../config/index.js";
import type { Decider } from "../domain/index.js";

export interface HandleResult<State> {
  state: State;
  /** Events appended by this call (empty when the command was a no-op). */
  events: StoredEvent[];
  /** The event position to report as X-Event-Position (the aggregate's last sequence). */
  position: number;
}

/** A small LRU of (state, revision) per aggregate: a stale entry only costs one failed expectation. */
class AggregateCache<State> {
  private readonly map = new Map<string, { state: State; rev: StreamRevision }>();
  constructor(private readonly max: number) {}
  get(id: string) {
    const v = this.map.get(id);
    if (v) {
      this.map.delete(id);
      this.map.set(id, v);
    }
    return v;
  }
  set(id: string, v: { state: State; rev: StreamRevision }) {
    this.map.delete(id);
    this.map.set(id, v);
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value!);
  }
  delete(id: string) {
    this.map.delete(id);
  }
}

/**
 * The thin command handler of DESIGN.md §4: load (or take from cache), decide, append; on
 * ConcurrencyError reload and decide again, up to `retries` times, then let the error surface (409).
 */
export function commandHandler<Command, State, Event extends NewEvent>(
  store: EventStore,
  decider: Decider<Command, State, Event>,
  opts: { cacheSize?: number; retries?: number } = {},
) {
  const cache = new AggregateCache<State>(opts.cacheSize ?? defaults.eventStore.aggregateCacheSize);
  const retries = opts.retries ?? defaults.eventStore.concurrencyRetries;

  async function current(id: string, fresh: boolean) {
    const cached = fresh ? undefined : cache.get(id);
    if (cached) return { ...cached, cached: true };
    const loaded = await store.load(decider.category, id);
    const state = loaded.events.reduce((s, e) => decider.evolve(s, e as unknown as Event), decider.initialState());
    return { state, rev: { lastSequence: loaded.lastSequence, version: loaded.version }, cached: false };
  }

  /**
   * Decides on the cached state when there is one. A cached state may be stale (another process
   * appended since), and only an append would notice; so a refusal or a no-op decided on it is
   * decided again on a fresh load before it is believed.
   */
  async function decideOn(
    id: string,
    command: Command,
    fresh: boolean,
    assumeNew = false,
  ): Promise<{ state: State; rev: StreamRevision; decided: Event[] }> {
    // An id minted by the caller has no events yet: decide on the initial state at revision 0 without a
    // load. The append's expectation (last sequence 0) still guards it; if anyone wrote first, the
    // append conflicts and the retry decides on a fresh load. A refusal or no-op is re-checked the same way.
    const c =
      assumeNew && !fresh
        ? { state: decider.initialState(), rev: { lastSequence: 0, version: 0 }, cached: true }
        : await current(id, fresh);
    let decided: Event[];
    try {
      decided = decider.decide(command, c.state);
    } catch (err) {
      if (!c.cached) throw err;
      cache.delete(id);
      return decideOn(id, command, true);
    }
    if (decided.length === 0 && c.cached) return decideOn(id, command, true);
    return { state: c.state, rev: c.rev, decided };
  }

  return {
    /**
     * The state this process last saw of an aggregate, without a round trip; possibly stale (another
     * process may have appended since), so only for decisions an append's expectation will check.
     */
    cached(id: string): { state: State; revision: StreamRevision } | undefined {
      const c = cache.get(id);
      return c && { state: c.state, revision: c.rev };
    },
    /** Reads the current state of an aggregate (from the store; for command-side checks only). */
    async load(id: string): Promise<{ state: State; revision: StreamRevision }> {
      const c = await current(id, true);
      cache.set(id, { state: c.state, rev: c.rev });
      return { state: c.state, revision: c.rev };
    },
    /**
     * `assumeNew`: the caller minted `id` just now (a random id), so the first attempt skips the load
     * (one round trip fewer); correctness still rests on the append's expected revision.
     */
    async handle(
      id: string,
      command: Command,
      ctx: EventContext,
      now: Date,
      opts: { assumeNew?: boolean } = {},
    ): Promise<HandleResult<State>> {
      for (let attempt = 0; ; attempt++) {
        const { state, rev, decided } = await decideOn(id, command, attempt > 0, opts.assumeNew ?? false);
        if (decided.length === 0) {
          cache.set(id, { state, rev });
          return { state, events: [], position: rev.lastSequence };
        }
        try {
          const result = await store.append(decider.category, id, decided, { expected: rev, ctx, now });
          const next = result.events.reduce((s, e) => decider.evolve(s, e as unknown as Event), state);
          cache.set(id, { state: next, rev: { lastSequence: result.lastSequence, version: result.version } });
          return { state: next, events: result.events, position: result.position };
        } catch (err) {
          cache.delete(id);
          if (!(err instanceof ConcurrencyError) || attempt >= retries) throw err;
        }
      }
    },
  };
}
