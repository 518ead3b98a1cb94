import { CollectorError, MAX_BODY_BYTES } from "./types.js";

/** GETs `url` and returns its body as text, bounded in size; failures are CollectorErrors with a readable reason. */
export async function fetchText(url: string, signal: AbortSignal, accept: string): Promise<{ text: string; contentType: string }> {
  let res: Response;
  try {
    res = await fetch(url, { signal, headers: { accept }, redirect: "error" });
  } catch (err) {
    if (signal.aborted) throw new CollectorError("timed out");
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new CollectorError(`unreachable: ${cause?.code ?? cause?.message ?? (err as Error).message}`);
  }
  if (!res.ok) {
    await res.body?.cancel().catch(() => {});
    throw new CollectorError(`answered HTTP ${res.status}`);
  }
  const reader = res.body?.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = reader ? await reader.read() : { done: true, value: undefined };
      if (done) break;
      size += value.byteLength;
      if (size > MAX_BODY_BYTES) {
        await reader?.cancel().catch(() => {});
        throw new CollectorError(`body larger than ${MAX_BODY_BYTES} bytes`);
      }
      chunks.push(value);
    }
  } catch (err) {
    if (err instanceof CollectorError) throw err;
    throw new CollectorError(signal.aborted ? "timed out" : `reading the body failed: ${(err as Error).message}`);
  }
  return { text: Buffer.concat(chunks).toString("utf8"), contentType: res.headers.get("content-type") ?? "" };
}
