/** Text reports of a run (the CLI's and the demo's): one line per event. */
import type { EventRecord } from './engine.js';

/** "    3  sw1/pc13     → sw2/pc22" (delivered ports; long lists shortened), and why a copy was dropped. */
export function formatEventLine(r: EventRecord): string {
  const n = r.delivered.length;
  const list = n > 6 ? `${r.delivered.slice(0, 6).join(' ')} … (${n} copies)` : r.delivered.join(' ');
  const head = `${String(r.index).padStart(5)}  ${r.port.padEnd(12)} ${n > 0 ? `→ ${list}` : '→ (nowhere)'}`;
  return r.dropped === undefined ? head : `${head}   dropped: ${r.dropped}`;
}

export const EVENT_HEADER = 'event  entered at   delivered to';
