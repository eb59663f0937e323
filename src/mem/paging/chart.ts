/**
 * The fault curve as a standalone SVG line chart (no scripts, no external fonts or styles), so a
 * browser opens it as is: page faults (y) against physical frames (x), one line per policy, axes
 * with ticks and labels, a legend, and every Belady's-anomaly step ringed and labelled.
 * Browser-safe: builds a string.
 */
import type { FaultCurve } from './sim.js';

export interface ChartOptions {
  /** Shown in the title, e.g. the trace's file name. */
  title?: string;
  /** Shown under the title, e.g. "12 accesses, 5 pages". */
  subtitle?: string;
}

// Okabe–Ito colours: distinguishable with the common colour-vision deficiencies.
const COLOURS: Record<string, string> = { fifo: '#D55E00', lru: '#0072B2', clock: '#009E73', opt: '#CC79A7' };
const DASHES: Record<string, string> = { fifo: '', lru: '', clock: '6 3', opt: '2 3' };
const ANOMALY = '#B00020';

const WIDTH = 860;
const HEIGHT = 520;
const LEFT = 78;
const RIGHT = 170;
const TOP = 70;
const BOTTOM = 64;
/** Anomaly notes listed under the chart before '… and N more'. */
const NOTES = 5;
const NOTE_LINE = 18;

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A tick step of 1, 2 or 5 × 10^k giving about `target` ticks over `range`. */
function niceStep(range: number, target: number): number {
  if (range <= 0) return 1;
  const raw = range / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

const n1 = (v: number) => (Math.round(v * 10) / 10).toString();

export function curveSvg(curve: FaultCurve, opts: ChartOptions = {}): string {
  const frames = curve.frames;
  const xMin = frames[0] ?? 1;
  const xMax = frames[frames.length - 1] ?? 1;
  let yTop = 1;
  for (const s of curve.series) for (const f of s.faults) if (f > yTop) yTop = f;
  const yStep = niceStep(yTop, 8);
  yTop = Math.ceil(yTop / yStep) * yStep;
  const xStep = Math.max(1, Math.round(niceStep(xMax - xMin, 12)));
  const plotW = WIDTH - LEFT - RIGHT;
  const plotH = HEIGHT - TOP - BOTTOM;
  const x = (m: number) => LEFT + (xMax === xMin ? plotW / 2 : ((m - xMin) / (xMax - xMin)) * plotW);
  const y = (f: number) => TOP + plotH - (f / yTop) * plotH;

  // Belady's anomaly: ring the point where more frames gave more faults; policies that share
  // the same step share one ring and one note.
  const groups = new Map<string, { policies: string[]; a: FaultCurve['anomalies'][number] }>();
  for (const a of curve.anomalies) {
    const key = `${a.frames}:${a.moreFrames}:${a.faults}:${a.moreFaults}`;
    const g = groups.get(key);
    if (g) g.policies.push(a.policy);
    else groups.set(key, { policies: [a.policy], a });
  }
  const groupList = [...groups.values()];

  const out: string[] = [];
  const noteLines = Math.min(groupList.length, NOTES + 1);
  const totalHeight = HEIGHT + (noteLines > 0 ? 14 + noteLines * NOTE_LINE : 0);
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${totalHeight}" viewBox="0 0 ${WIDTH} ${totalHeight}" font-family="Helvetica, Arial, sans-serif" font-size="13">`,
    `<rect width="${WIDTH}" height="${totalHeight}" fill="#ffffff"/>`,
    `<text x="${LEFT}" y="28" font-size="18" font-weight="bold">${esc(opts.title ?? 'Page faults by number of frames')}</text>`,
  );
  if (opts.subtitle) out.push(`<text x="${LEFT}" y="48" fill="#555555">${esc(opts.subtitle)}</text>`);

  // Grid and y ticks.
  out.push('<g stroke="#e4e4e4" stroke-width="1">');
  for (let v = 0; v <= yTop + 1e-9; v += yStep) out.push(`<line x1="${LEFT}" y1="${n1(y(v))}" x2="${LEFT + plotW}" y2="${n1(y(v))}"/>`);
  out.push('</g>');
  out.push('<g text-anchor="end" fill="#333333">');
  for (let v = 0; v <= yTop + 1e-9; v += yStep) out.push(`<text x="${LEFT - 8}" y="${n1(y(v) + 4)}">${n1(v)}</text>`);
  out.push('</g>');

  // x ticks: multiples of the step, plus the first frame count when it is not one.
  const xTicks: number[] = [];
  if (xMin % xStep !== 0) xTicks.push(xMin);
  for (let m = Math.ceil(xMin / xStep) * xStep; m <= xMax; m += xStep) {
    if (xTicks.length === 0 || m - xTicks[xTicks.length - 1]! >= xStep / 2) xTicks.push(m);
  }
  out.push('<g stroke="#333333" stroke-width="1">');
  for (const m of xTicks) out.push(`<line x1="${n1(x(m))}" y1="${TOP + plotH}" x2="${n1(x(m))}" y2="${TOP + plotH + 5}"/>`);
  for (let v = 0; v <= yTop + 1e-9; v += yStep) out.push(`<line x1="${LEFT - 5}" y1="${n1(y(v))}" x2="${LEFT}" y2="${n1(y(v))}"/>`);
  out.push('</g>');
  out.push('<g text-anchor="middle" fill="#333333">');
  for (const m of xTicks) out.push(`<text x="${n1(x(m))}" y="${TOP + plotH + 20}">${m}</text>`);
  out.push('</g>');

  // Axes and their labels.
  out.push(
    `<path d="M${LEFT} ${TOP} V${TOP + plotH} H${LEFT + plotW}" fill="none" stroke="#333333" stroke-width="1.5"/>`,
    `<text x="${LEFT + plotW / 2}" y="${HEIGHT - 18}" text-anchor="middle" font-size="14">physical frames (M)</text>`,
    `<text transform="translate(22 ${TOP + plotH / 2}) rotate(-90)" text-anchor="middle" font-size="14">page faults</text>`,
  );

  // One line per policy, with a dot per point while the points are far enough apart to see.
  const dots = plotW / Math.max(1, frames.length - 1) >= 6;
  // Lines drawn first are wider, so a policy whose line another one covers exactly (clock often
  // retraces fifo) still shows along its edges.
  curve.series.forEach((s, i) => {
    const colour = COLOURS[s.policy] ?? '#000000';
    const width = n1(2.2 + 0.6 * (curve.series.length - 1 - i));
    const d = s.faults.map((f, i) => `${i === 0 ? 'M' : 'L'}${n1(x(frames[i]!))} ${n1(y(f))}`).join(' ');
    const dash = DASHES[s.policy] ? ` stroke-dasharray="${DASHES[s.policy]}"` : '';
    out.push(`<g><title>${esc(s.policy)}</title><path data-policy="${esc(s.policy)}" d="${d}" fill="none" stroke="${colour}" stroke-width="${width}"${dash} stroke-linejoin="round"/>`);
    if (dots) for (let i = 0; i < frames.length; i++) out.push(`<circle cx="${n1(x(frames[i]!))}" cy="${n1(y(s.faults[i]!))}" r="3" fill="${colour}"><title>${esc(s.policy)}: ${frames[i]} frames, ${s.faults[i]} faults</title></circle>`);
    out.push('</g>');
  });

  // The rings stay small in the plot; the words go in a list under the x axis.
  for (const { policies, a } of groupList) {
    const what = `Belady's anomaly (${policies.join(', ')}): ${a.frames}→${a.moreFrames} frames, ${a.faults}→${a.moreFaults} faults`;
    out.push(`<circle cx="${n1(x(a.moreFrames))}" cy="${n1(y(a.moreFaults))}" r="9" fill="none" stroke="${ANOMALY}" stroke-width="2"><title>${esc(what)}</title></circle>`);
  }
  groupList.slice(0, NOTES).forEach(({ policies, a }, i) => {
    const what = `Belady's anomaly (${policies.join(', ')}): ${a.moreFrames} frames make ${a.moreFaults} faults, ${a.frames} frames ${a.faults}`;
    out.push(`<text x="${LEFT}" y="${HEIGHT + 22 + i * NOTE_LINE}" fill="${ANOMALY}">◯ ${esc(what)}</text>`);
  });
  if (groupList.length > NOTES) {
    out.push(`<text x="${LEFT}" y="${HEIGHT + 22 + NOTES * NOTE_LINE}" fill="${ANOMALY}">… and ${groupList.length - NOTES} more step${groupList.length - NOTES === 1 ? '' : 's'} where more frames give more faults</text>`);
  }

  // Legend, right of the plot.
  const lx = LEFT + plotW + 24;
  let ly = TOP + 10;
  out.push(`<text x="${lx}" y="${ly}" font-weight="bold">policy</text>`);
  for (const s of curve.series) {
    ly += 22;
    const colour = COLOURS[s.policy] ?? '#000000';
    const dash = DASHES[s.policy] ? ` stroke-dasharray="${DASHES[s.policy]}"` : '';
    out.push(`<line x1="${lx}" y1="${ly - 4}" x2="${lx + 28}" y2="${ly - 4}" stroke="${colour}" stroke-width="2.2"${dash}/>`);
    out.push(`<text x="${lx + 36}" y="${ly}">${esc(s.policy)}</text>`);
  }
  if (curve.anomalies.length > 0) {
    ly += 26;
    out.push(`<circle cx="${lx + 14}" cy="${ly - 4}" r="7" fill="none" stroke="${ANOMALY}" stroke-width="2"/>`);
    out.push(`<text x="${lx + 36}" y="${ly}" fill="${ANOMALY}">more frames,</text>`);
    out.push(`<text x="${lx + 36}" y="${ly + 16}" fill="${ANOMALY}">more faults</text>`);
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}
