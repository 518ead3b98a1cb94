/**
 * Polls `probe` until it returns a value (anything but undefined or false), at most `timeoutMs`.
 * The one wait of the specs: a timeout names what was awaited and, given `lastSeen`, what was seen last.
 */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  o: { timeoutMs?: number; intervalMs?: number; lastSeen?: () => unknown } = {},
): Promise<T> {
  const end = Date.now() + (o.timeoutMs ?? 60_000);
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end)
      throw new Error(`timed out waiting for ${what}${o.lastSeen ? `; last seen: ${JSON.stringify(o.lastSeen())}` : ""}`);
    await new Promise((r) => setTimeout(r, o.intervalMs ?? 200));
  }
}
