import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { NatsConnection } from "@nats-io/transport-node";
import { jetstream, jetstreamManager, type JsMsg } from "@nats-io/jetstream";
import postgres from "postgres";

/**
 * Secret scans of the e2e tier (SPEC R-KEY-3: secret material never appears in an event, a log
 * line, an API response or an error message). A secret's plaintext becomes needles in every form a
 * careless line of code could write it in; the places the system writes to become byte sources; a
 * hit is a needle found in a source. Matching is on bytes, so raw binary keys are caught as well.
 */

/** One form of a secret, e.g. `priv_validator_key (hex)`. */
export interface Needle {
  label: string;
  bytes: Buffer;
}

/** Something the system wrote: a stream message, a read-model row, a log file, an API body. */
export interface ScanSource {
  where: string;
  bytes: Buffer;
}

/** A needle found somewhere (its bytes are never printed, only its label). */
export interface Hit {
  needle: string;
  where: string;
}

/** Shorter forms could match by chance; every secret of these flows is at least 32 bytes. */
const MIN_NEEDLE_BYTES = 16;

/**
 * The forms of one secret: raw bytes, hex (lower and upper), base64, base64url, and, when it is
 * text, the text as it appears escaped inside a JSON string (a JSON key file inside a JSON log line).
 */
export function needlesOf(label: string, plaintext: Uint8Array | string): Needle[] {
  const raw = typeof plaintext === "string" ? Buffer.from(plaintext, "utf8") : Buffer.from(plaintext);
  const forms: [string, string | Buffer][] = [
    ["raw", raw],
    ["hex", raw.toString("hex")],
    ["HEX", raw.toString("hex").toUpperCase()],
    ["base64", raw.toString("base64")],
    ["base64url", raw.toString("base64url")],
  ];
  const text = raw.toString("utf8");
  if (Buffer.from(text, "utf8").equals(raw) && /^[\x20-\x7e\s]+$/.test(text)) {
    const escaped = JSON.stringify(text).slice(1, -1);
    if (escaped !== text) forms.push(["json-escaped", escaped]);
  }
  const out: Needle[] = [];
  for (const [form, v] of forms) {
    const bytes = typeof v === "string" ? Buffer.from(v, "utf8") : v;
    if (bytes.length >= MIN_NEEDLE_BYTES && !out.some((n) => n.bytes.equals(bytes))) out.push({ label: `${label} (${form})`, bytes });
  }
  return out;
}

/** Every needle found in every source (empty = clean). */
export function scanFor(needles: readonly Needle[], sources: readonly ScanSource[]): Hit[] {
  const hits: Hit[] = [];
  for (const s of sources) {
    for (const n of needles) if (s.bytes.includes(n.bytes)) hits.push({ needle: n.label, where: s.where });
  }
  return hits;
}

const headerText = (m: JsMsg): string => {
  if (!m.headers) return "";
  const lines: string[] = [];
  for (const k of m.headers.keys()) lines.push(`${k}: ${m.headers.values(k).join(",")}`);
  return lines.join("\n");
};

/** Every message of a stream (headers and body), read with an ordered consumer from the first to the last sequence. */
export async function streamMessages(nc: NatsConnection, stream: string): Promise<ScanSource[]> {
  const info = await (await jetstreamManager(nc)).streams.info(stream);
  const last = info.state.last_seq;
  const out: ScanSource[] = [];
  if (info.state.messages === 0) return out;
  const consumer = await jetstream(nc).consumers.get(stream);
  let seq = 0;
  while (seq < last) {
    // Asks for exactly what is left, so the last fetch returns at once instead of waiting for its expiry.
    const batch = await consumer.fetch({ max_messages: Math.min(500, last - seq), expires: 5_000 });
    let got = 0;
    for await (const m of batch) {
      got++;
      seq = m.seq;
      out.push({
        where: `${stream}#${m.seq} ${m.subject}`,
        bytes: Buffer.concat([Buffer.from(headerText(m)), Buffer.from("\n"), Buffer.from(m.data)]),
      });
    }
    if (got === 0) throw new Error(`${stream}: read ${seq} of ${last} messages, then nothing more`);
  }
  return out;
}

/** Every row of every table of a PostgreSQL schema (the read models of a namespace), as `row::text`. */
export async function readModelRows(databaseUrl: string, schema: string): Promise<ScanSource[]> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const tables = await sql<{ table_name: string }[]>`select table_name from information_schema.tables where table_schema = ${schema}`;
    if (tables.length === 0) throw new Error(`schema ${schema} has no tables: nothing would be scanned`);
    const out: ScanSource[] = [];
    for (const { table_name } of tables) {
      const rows = await sql.unsafe<{ row: string }[]>(`select t::text as row from "${schema}"."${table_name}" t`);
      rows.forEach((r, i) => out.push({ where: `pg ${schema}.${table_name}[${i}]`, bytes: Buffer.from(r.row, "utf8") }));
    }
    return out;
  } finally {
    await sql.end({ timeout: 2 });
  }
}

/** Every `*.log` file under a directory, recursively (the hosts' supervisor, leaf, agent and chain node logs). */
export function logFiles(dir: string): ScanSource[] {
  const out: ScanSource[] = [];
  const walk = (d: string) => {
    let entries: string[];
    try {
      entries = readdirSync(d);
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(d, e);
      let st;
      try {
        st = statSync(p);
      } catch {
        continue;
      }
      if (st.isDirectory()) walk(p);
      else if (st.isFile() && e.endsWith(".log")) out.push({ where: p, bytes: readFileSync(p) });
    }
  };
  walk(dir);
  return out;
}
