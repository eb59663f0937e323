// Regenerates the README's generated parts from the built tool (npm run readme):
//  - the overhead table, from encoding each stack (src/demo/overhead.ts), never typed by hand;
//    test/overhead checks that the README's table equals what the tool prints;
//  - the performance table, from bench/results.json as `virtkit bench` last wrote it.
import { readFileSync, writeFileSync } from 'node:fs';
import { overheadTable } from '../dist/src/demo/overhead.js';

const readmePath = new URL('../README.md', import.meta.url);
const original = readFileSync(readmePath, 'utf8');

function replaceBetween(text, name, body) {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  if (a < 0 || b < a) throw new Error(`README.md lacks the ${name} markers`);
  return text.slice(0, a + start.length) + '\n' + body.trim() + '\n' + text.slice(b);
}

// What each benchmark case measures, in the issues' words.
const CASES = {
  'encode-vxlan-156B': 'frames/s: the 156-byte VXLAN frame, new VNI, source port and inner id each frame, all lengths and checksums computed, into a reused buffer',
  'decode-vxlan-156B': 'frames/s: the same frame scanned by the zero-copy FrameView (every check and dispatch), VNI, port and id read',
  'encode-vxlan-156B-layers': 'frames/s: the same frame from JSON layer objects through encodeFrame',
  'decode-vxlan-156B-objects': 'frames/s: the same frame decoded into JSON layer objects by decodeFrame',
  'encode-esp-gcm128-1400B': 'frames/s: ESP tunnel, AES-GCM-128, a 1400-byte inner packet (1470-byte frame), new sequence number and IV each frame, through encodeFrameInto',
  'encode-esp-null-1400B': 'frames/s: the same frame with the NULL cipher and no ICV (everything but the cryptography)',
  'gcm128-seal-1400B': 'seals/s: @noble/ciphers AES-GCM-128 alone on the same 1404 bytes',
  'pcapng-write-156B': 'frames/s written to a pcapng file, a comment every tenth frame',
  'pcapng-write-156B-buffer': 'frames/s: the same into memory (no file I/O)',
  'pcap-read-156B': 'frames/s read from a pcap in memory',
  'pcap-read-156B-binary-parser': 'frames/s: the same with binary-parser for the record headers',
  'pcapng-read-156B': 'frames/s read from a pcapng in memory',
  'decode-captures': "frames/s: every frame of the real captures vendored in fixtures/captures (tcpdump's and Zeek's test files, four link types) scanned by FrameView with each file's link type",
  'decode-captures-objects': 'frames/s: the same real frames decoded into JSON layer objects by decodeFrame',
  'tlb-hit': 'translations/s: 64-entry 4-way TLB, 32 resident pages, random addresses, batch API',
  'tlb-miss-walk4': 'translations/s: the same TLB, 16384 pages, nearly every access walks 4 levels',
  'walk5': 'cold 5-level walks/s',
  'nested-walk24': 'cold 2D walks/s, 4-level guest on 4-level EPT (24 references each), batch API',
  'tlb-hit-percall': 'translations/s: as tlb-hit, one Mmu.translate() call per address',
  'naive-tlb-hit': 'the naive baseline (bench/naive.ts: BigInt addresses, DataView walk, Map TLB) on the tlb-hit world',
  'naive-tlb-miss-walk4': 'the naive baseline on the tlb-miss-walk4 world',
  'naive-walk5': 'the naive baseline on the walk5 world',
  'paging-fault': 'demand-paging faults/s: not-present walk, LRU eviction (dirty ones written to swap), swap-in or zero fill, PTE rewrite, INVLPG',
  'netsim-forward-48p-1000mac': 'frames/s through a 48-port switch with 1000 learnt MACs (known unicast), the whole engine, no capture',
  'netsim-forward-48p-1000mac-pcapng': 'frames/s: the same, every crossing written as a pcapng record with its direction',
  'netsim-fdb-lookup-1000mac': 'MAC-table lookups/s among 1000 learnt MACs (the baseline: a forwarding decision is one)',
  'vxlan-encap-learn': 'frames/s through two VTEPs with 10000 learnt MACs each: lookup, outer headers, 110-byte inner frame copied, decapsulation and learning',
  'vxlan-encap-learn-engine': 'frames/s: the same as netsim events through the engine (the underlay device, two link hops)',
};

const bench = JSON.parse(readFileSync(new URL('../bench/results.json', import.meta.url), 'utf8'));
// A case measured against a baseline in the same run says by how much (the machines are shared:
// the ratio moves much less with the load than the absolute figure).
const vs = (r) => (r.vsBaseline === undefined ? '' : ` — **${r.vsBaseline}×** \`${r.baseline}\` in the same run`);
const rows = bench.results.map((r) => `| \`${r.name}\` | ${Math.round(r.opsPerSec).toLocaleString('en-US')} | ±${r.rme.toFixed(2)}% | ${CASES[r.name] ?? ''}${vs(r)} |`);
const perf = [
  `Measured with \`npm run bench\` (benchmark.js, \`virtkit bench --time 3\`) on the project's 2-core`,
  `machine, Node ${bench.node}, ${bench.date.slice(0, 10)}; the figures are in \`bench/results.json\`.`,
  '',
  '| case | ops/s | ± | what one op is |',
  '| --- | ---: | ---: | --- |',
  ...rows,
].join('\n');

let next = replaceBetween(original, 'overhead-table', overheadTable('markdown'));
next = replaceBetween(next, 'bench', perf);
writeFileSync(readmePath, next);
console.log(next === original ? 'README.md already current' : 'README.md regenerated (overhead table, performance table)');
