/**
 * Fuzzing the built CLI as a user's shell would run it: every subcommand, as a process, with
 * random and mutated inputs (damaged captures, mutated JSON specs, maps, scenarios and traces,
 * random images, random option values and names such as `__proto__`). Whatever the input:
 * - the exit status is 0 or 2 (1 would be an internal error, a signal a crash);
 * - with status 2, stderr is exactly one line, and never a stack trace;
 * - the process ends within its time budget and within a 256 MB heap (--max-old-space-size:
 *   running out of it is a crash, which the first rule catches).
 * The cases come from a seeded generator, so a failure names a case that reproduces.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './helpers/cli.js';

const BIN = join(ROOT, 'dist', 'src', 'cli', 'bin.js');
const SEED = Number(process.env.VIRTKIT_FUZZ_SEED ?? 20261201);
/** Cases per run: about 20-30 s on two busy cores (each is a Node process start); VIRTKIT_FUZZ_CASES for more. */
const CASES = Number(process.env.VIRTKIT_FUZZ_CASES ?? 50);
const TIME_LIMIT_MS = 20_000;

/** xorshift32: the same cases for the same seed. */
class Rng {
  constructor(private s: number) {
    if (this.s === 0) this.s = 1;
  }
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s;
  }
  int(n: number): number {
    return this.next() % n;
  }
  pick<T>(list: readonly T[]): T {
    return list[this.int(list.length)]!;
  }
  chance(p: number): boolean {
    return this.next() / 4294967296 < p;
  }
}

const WEIRD = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', '', '-', '--', '0x', '-1', '1e999', 'NaN', '18446744073709551616', '0xffffffffffffffffff', 'é', '9'.repeat(40), 'x'.repeat(300)];

/** Mutate bytes: flip bits, overwrite, cut, duplicate or insert runs. */
function mutateBytes(rng: Rng, input: Uint8Array): Uint8Array {
  let b = Array.from(input);
  const edits = 1 + rng.int(4);
  for (let e = 0; e < edits && b.length > 0; e++) {
    const at = rng.int(b.length);
    // Cutting the file short is one kind of damage among six, not the usual one.
    switch (rng.chance(0.5) ? rng.pick([0, 1, 5]) : rng.int(6)) {
      case 0:
        b[at] = b[at]! ^ (1 << rng.int(8));
        break;
      case 1:
        b[at] = rng.pick([0, 0xff, 0x7f, 0x80, rng.int(256)]);
        break;
      case 2:
        b = b.slice(0, at);
        break;
      case 3:
        b.splice(at, rng.int(64));
        break;
      case 4:
        b.splice(at, 0, ...b.slice(at, at + rng.int(64)));
        break;
      default:
        for (let i = 0; i < 4 && at + i < b.length; i++) b[at + i] = rng.pick([0, 0xff, rng.int(256)]);
    }
  }
  return Uint8Array.from(b);
}

/** Mutate JSON-ish text: swap values for weird ones, drop or duplicate pieces, break syntax. */
function mutateText(rng: Rng, text: string): string {
  let t = text;
  const edits = 1 + rng.int(3);
  for (let e = 0; e < edits; e++) {
    const at = rng.int(Math.max(1, t.length));
    // Most edits keep the document well-formed (a value swapped), so the checks behind the
    // parser get their turn; the rest break the syntax.
    switch (rng.chance(0.6) ? 0 : 1 + rng.int(6)) {
      case 0: {
        const m = /"[^"]*"|-?\d+/g;
        const all = [...t.matchAll(m)];
        if (all.length) {
          const hit = rng.pick(all);
          const repl = rng.pick([JSON.stringify(rng.pick(WEIRD)), String(rng.pick([0, -1, 65536, 4294967296, 2 ** 53, 1e300])), 'null', 'true', '[]', '{}', '"0xffffffffffffffff"']);
          t = t.slice(0, hit.index) + repl + t.slice(hit.index! + hit[0].length);
        }
        break;
      }
      case 1:
        t = t.slice(0, at) + t.slice(at + rng.int(40));
        break;
      case 2:
        t = t.slice(0, at);
        break;
      case 3:
        t = t.slice(0, at) + t.slice(at, at + rng.int(200)) + t.slice(at);
        break;
      case 4:
        t = t.slice(0, at) + rng.pick(['{', '}', '[', ']', ',', '"', '\n', ':', '\\']) + t.slice(at);
        break;
      case 5:
        t = t.replace(/"(layer|size|va|pa|flags|interface|comment|time)"/, `"${rng.pick(WEIRD)}"`);
        break;
      default:
        t = t.slice(0, at) + '\n' + t.slice(at);
    }
  }
  return t;
}

function randomBytes(rng: Rng, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = rng.int(256);
  return b;
}

interface Case {
  name: string;
  argv: string[];
}

let dir: string;
let capture: Uint8Array;
let pcapFixture: Uint8Array;
const PACKETS = readFileSync(join(ROOT, 'fixtures', 'cli', 'packets.json'), 'utf8');
const MAP = readFileSync(join(ROOT, 'fixtures', 'cli', 'map4.json'), 'utf8');
const TLB_TRACE = readFileSync(join(ROOT, 'fixtures', 'cli', 'tlb.trace'), 'utf8');
const PAGING_TRACE = readFileSync(join(ROOT, 'fixtures', 'paging', 'belady.trace'), 'utf8');
const SCENARIO = readFileSync(join(ROOT, 'fixtures', 'mtu', 'vxlan-underlay-1500.json'), 'utf8');
const STACK_TOKENS = ['ether', 'ipv4', 'ipv6', 'udp', 'vxlan', 'gre', 'gre:key', 'gre:key+seq+chksum', 'geneve:8', 'geneve:3', 'dot1q', 'dot1ad', 'mpls', 'esp:aes-gcm-128', 'esp:nope', 'arp', 'icmp'];

function file(name: string, data: Uint8Array | string): string {
  const p = join(dir, name);
  writeFileSync(p, data);
  return p;
}

/** One generated case: the files it needs are written now. */
function makeCase(rng: Rng, i: number): Case {
  const out = join(dir, `out-${i}`);
  const flag = (): string[] => (rng.chance(0.3) ? ['--json'] : []);
  switch (i % 11) {
    case 0: {
      const spec = file(`spec-${i}.json`, mutateText(rng, PACKETS));
      return { name: 'build mutated spec', argv: ['build', spec, '-o', out + rng.pick(['.pcap', '.pcapng']), ...flag()] };
    }
    case 1: {
      const lines = (JSON.parse(PACKETS) as { packets: unknown[] }).packets.map((p) => JSON.stringify(p)).join('\n');
      const spec = file(`spec-${i}.jsonl`, mutateText(rng, lines));
      return { name: 'build mutated JSON Lines', argv: ['build', spec, ...(rng.chance(0.5) ? ['--hex'] : ['-o', out + '.pcapng']), ...flag()] };
    }
    case 2: {
      const cap = file(`cap-${i}.pcapng`, mutateBytes(rng, capture));
      return { name: 'decode mutated pcapng', argv: ['decode', cap, ...(rng.chance(0.5) ? ['--json'] : rng.chance(0.5) ? ['-v'] : [])] };
    }
    case 3: {
      const cap = file(`cap-${i}.pcap`, mutateBytes(rng, pcapFixture));
      return { name: 'decode mutated pcap', argv: ['decode', cap, ...flag()] };
    }
    case 4: {
      const n = 1 + rng.int(8);
      const stack = Array.from({ length: n }, () => (rng.chance(0.1) ? rng.pick(WEIRD) : rng.pick(STACK_TOKENS))).join(',');
      const extra = rng.chance(0.3) ? [rng.pick(['--mtu', '--inner-mtu']), rng.pick(['0', '68', '1500', '9000', '4294967295', ...WEIRD])] : [];
      return { name: 'overhead random stack', argv: ['overhead', stack, ...extra, ...flag()] };
    }
    case 5: {
      const map = file(`map-${i}.json`, mutateText(rng, MAP));
      return { name: 'pt build mutated map', argv: ['pt', 'build', map, '-o', out + '.bin', ...flag()] };
    }
    case 6: {
      // A small random image whose root may point anywhere, itself included.
      const img = randomBytes(rng, 4096 * (1 + rng.int(4)));
      for (let e = 0; e < 512; e++) if (rng.chance(0.7)) img[e * 8] = (img[e * 8]! | 1) & (rng.chance(0.5) ? 0xff : 0x7f);
      const mem = file(`mem-${i}.bin`, img);
      const sub = rng.pick(['walk', 'dump']);
      const argv = ['pt', sub, mem, '--cr3', rng.pick(['0', '0x1000', '0x2000', '0x100000', ...WEIRD])];
      if (sub === 'walk') argv.push('--va', rng.pick(['0x0', '0x400000', '0xffff800000000000', '0x7fffffffffff', ...WEIRD]), '--access', rng.pick(['r', 'w', 'x', ...WEIRD]));
      if (rng.chance(0.3)) argv.push('--levels', rng.pick(['4', '5', '3', ...WEIRD]));
      return { name: `pt ${sub} random image`, argv: [...argv, ...flag()] };
    }
    case 7: {
      const trace = file(`tlb-${i}.trace`, mutateText(rng, TLB_TRACE));
      if (rng.chance(0.25)) return { name: 'tlb switch random options', argv: ['tlb', 'switch', '--procs', rng.pick(['1', '4', '4096', ...WEIRD]), '--quantum', rng.pick(['1', '100', ...WEIRD]), '--accesses', rng.pick(['1000', '0', ...WEIRD]), '--tlb', rng.pick(['skylake', 'zen1', ...WEIRD]), ...flag()] };
      return { name: 'tlb sim mutated trace', argv: ['tlb', 'sim', trace, '--sets', rng.pick(['1', '2', '64', '1048576', ...WEIRD]), '--ways', rng.pick(['1', '4', '1024', ...WEIRD]), '--policy', rng.pick(['lru', 'fifo', 'random', ...WEIRD]), '--page', rng.pick(['4K', '2M', '1G', ...WEIRD]), ...flag()] };
    }
    case 8: {
      const trace = file(`paging-${i}.trace`, mutateText(rng, PAGING_TRACE));
      if (rng.chance(0.5)) return { name: 'paging sim mutated trace', argv: ['paging', 'sim', trace, '--frames', rng.pick(['1', '3', '4', '16777216', ...WEIRD]), '--policy', rng.pick(['fifo', 'lru', 'clock', 'opt', ...WEIRD]), ...(rng.chance(0.3) ? ['--system'] : []), ...flag()] };
      return { name: 'paging curve mutated trace', argv: ['paging', 'curve', trace, '--frames', rng.pick(['1..8', '16777000..16777216', '1..4096', '5..1', ...WEIRD]), ...(rng.chance(0.3) ? ['-o', out + '.svg'] : []), ...flag()] };
    }
    case 9: {
      const sc = file(`scenario-${i}.json`, mutateText(rng, SCENARIO));
      return { name: 'mtu mutated scenario', argv: ['mtu', sc, '-o', out + '.pcapng', ...flag()] };
    }
    default: {
      // Random words to any command: unknown names, options without values, prototype names.
      const cmd = rng.pick(['build', 'decode', 'overhead', 'mtu', 'pt', 'tlb', 'paging', 'virt', 'demo', ...WEIRD]);
      const words = Array.from({ length: rng.int(4) }, () => rng.pick([...WEIRD, '--json', '--frames', '-o', '--levels', 'compare', 'sim', 'walk']));
      return { name: 'random words', argv: [cmd, ...words] };
    }
  }
}

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  ms: number;
}

function runCase(c: Case): Promise<Outcome> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, ['--max-old-space-size=256', BIN, ...c.argv], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => {
      if (stderr.length < 1 << 16) stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), TIME_LIMIT_MS);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ code: null, signal: null, stderr: `spawn failed: ${e.message}`, ms: Date.now() - t0 });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stderr, ms: Date.now() - t0 });
    });
  });
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'virtkit-fuzz-'));
  const spec = file('base.json', PACKETS);
  const r = spawnSync(process.execPath, [BIN, 'build', spec, '-o', join(dir, 'base.pcapng')], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cannot build the base capture: ${r.stderr}`);
  capture = readFileSync(join(dir, 'base.pcapng'));
  pcapFixture = readFileSync(join(ROOT, 'fixtures', 'pcap', 'bigendian-usec.pcap'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!existsSync(BIN))('CLI fuzz (built CLI, processes)', () => {
  it(`${CASES} random and mutated invocations (seed ${SEED}): exit 0 or 2, one stderr line, no stack trace, bounded`, async () => {
    const rng = new Rng(SEED);
    const cases = Array.from({ length: CASES }, (_, i) => makeCase(rng, i));
    const failures: string[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < cases.length) {
        const c = cases[next++]!;
        const o = await runCase(c);
        if (process.env.VIRTKIT_FUZZ_VERBOSE) console.log(`${o.ms} ms ${o.code} ${c.argv.join(' ').slice(0, 160)}`);
        const lines = o.stderr.split('\n').filter((l) => l.length > 0);
        const why =
          o.signal !== null ? `killed by ${o.signal} after ${o.ms} ms` :
          o.code !== 0 && o.code !== 2 ? `exit ${o.code}` :
          /\n\s+at |internal error/.test(o.stderr) ? 'stack trace or internal error' :
          o.code === 2 && lines.length !== 1 ? `${lines.length} stderr lines` :
          undefined;
        if (why) failures.push(`${c.name}: virtkit ${c.argv.map((a) => (a.length > 60 ? a.slice(0, 60) + '…' : a)).join(' ')}: ${why}: ${o.stderr.slice(0, 300)}`);
      }
    };
    await Promise.all([worker(), worker()]);
    expect(failures).toEqual([]);
  }, 300_000);
});
