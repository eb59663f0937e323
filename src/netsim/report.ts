/** Text reports of a run (the CLI's and the demo's): one line per event, the MAC tables. */
import type { EventRecord } from './engine.js';

/** "    3  sw1/pc13     → sw2/pc22" (delivered ports; long lists shortened), and why a copy was dropped. */
export function formatEventLine(r: EventRecord): string {
  const n = r.delivered.length;
  const list = n > 6 ? `${r.delivered.slice(0, 6).join(' ')} … (${n} copies)` : r.delivered.join(' ');
  const head = `${String(r.index).padStart(5)}  ${r.port.padEnd(12)} ${n > 0 ? `→ ${list}` : '→ (nowhere)'}`;
  return r.dropped === undefined ? head : `${head}   dropped: ${r.dropped}`;
}

export const EVENT_HEADER = 'event  entered at   delivered to';

/** The switches' MAC tables as rows of text, at most `max` of them. */
export function formatFdb(rows: readonly object[], max = 60): string[] {
  const fdb = rows as { switch: string; port: string; vlan: number; mac: string }[];
  const out = [' switch       port         vlan  mac'];
  for (const r of fdb.slice(0, max)) out.push(` ${r.switch.padEnd(12)} ${r.port.padEnd(12)} ${String(r.vlan).padStart(4)}  ${r.mac}`);
  if (fdb.length > max) out.push(`  … ${fdb.length - max} more`);
  return out;
}
