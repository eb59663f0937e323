/**
 * What the page knows about protocols, in one place: the stacks it offers, the form fields of
 * each layer kind (taken from the core's layouts, the one description of every header), and
 * where each decoded field lies in the bytes. Every other page module asks this one.
 */
import * as vk from 'virtkit';
import type { Layer, Layout } from 'virtkit';

/** How a form field is typed in and shown. */
export type InputKind = 'uint' | 'bool' | 'mac' | 'ipv4' | 'ipv6' | 'hex' | 'json';

export interface FormField {
  name: string;
  input: InputKind;
  /** Computed by the encoder when left empty. */
  auto: boolean;
  /** What an empty input means (a default, "auto", or "absent"). */
  placeholder: string;
  /** Width in bits of a fixed-part field (0 for variable parts). */
  width: number;
  /** Inputs that accept a string the encoder reads too (IPv4 flags "DF", GRE chksum true). */
  words?: readonly string[];
}

/** The fixed-part layout of a layer kind (ICMP's depends on its type). */
function layoutOf(layer: Layer): Layout | undefined {
  switch (layer.layer) {
    case 'ether':
      return vk.ETHER;
    case 'dot1q':
    case 'dot1ad':
      return vk.VLAN_TAG;
    case 'arp':
      return vk.ARP;
    case 'ipv4':
      return vk.IPV4;
    case 'ipv6':
      return vk.IPV6;
    case 'udp':
      return vk.UDP;
    case 'vxlan':
      return vk.VXLAN;
    case 'gre':
      return vk.GRE;
    case 'mpls':
      return vk.MPLS;
    case 'geneve':
      return vk.GENEVE;
    case 'icmp': {
      const t = layer.type;
      if (t === 0 || t === 8) return vk.ICMP_ECHO;
      if (t === 3 && layer.code === 4) return vk.ICMP_FRAG_NEEDED;
      return vk.ICMP_OTHER;
    }
    default:
      return undefined;
  }
}

/** Fields beyond the fixed part (variable parts and optional words), per kind. */
const EXTRA_FIELDS: Readonly<Record<string, readonly FormField[]>> = {
  ipv4: [{ name: 'options', input: 'hex', auto: false, placeholder: 'none', width: 0 }],
  gre: [
    { name: 'chksum', input: 'uint', auto: false, placeholder: 'absent (true = computed)', width: 16, words: ['true'] },
    { name: 'key', input: 'uint', auto: false, placeholder: 'absent', width: 32 },
    { name: 'seq', input: 'uint', auto: false, placeholder: 'absent', width: 32 },
  ],
  geneve: [{ name: 'options', input: 'json', auto: false, placeholder: '[] e.g. [{"class":258,"type":1,"data":"00000001"}]', width: 0 }],
  raw: [{ name: 'hex', input: 'hex', auto: false, placeholder: 'bytes as hex', width: 0 }],
};

const IPV4_FLAG_WORDS = ['DF', 'MF', 'DF+MF'] as const;

/** The input for a layout field's kind; any other kind (byte strings) is typed as hex. */
function inputOf(kind: string): InputKind {
  return kind === 'uint' || kind === 'bool' || kind === 'mac' || kind === 'ipv4' || kind === 'ipv6' ? kind : 'hex';
}

/** The form of a layer kind: its layout's fields (reserved and internal ones left out), then its variable parts. */
export function formFields(layer: Layer): FormField[] {
  const out: FormField[] = [];
  const layout = layoutOf(layer);
  if (layout) {
    for (const f of layout.fields) {
      if (f.internal || f.hidden) continue;
      const def = f.def === undefined ? '' : String(f.def);
      out.push({
        name: f.name,
        input: inputOf(f.kind),
        auto: f.auto,
        placeholder: f.auto ? 'auto' : def === '' ? 'required' : def,
        width: f.width,
        words: layer.layer === 'ipv4' && f.name === 'flags' ? IPV4_FLAG_WORDS : undefined,
      });
    }
  }
  // GRE's layout names its checksum word apart (GRE_CHECKSUM); the fixed part above has none.
  return [...out, ...(EXTRA_FIELDS[layer.layer] ?? [])];
}

/** A stack the Frames view offers: layers to start from, and the same stack for the overhead figures. */
export interface StackPreset {
  id: string;
  label: string;
  layers: Layer[];
  /** `virtkit overhead` STACK for the outer layers and the first inner one. */
  overhead: string;
  /**
   * The golden vector (fixtures/vectors/golden.json) whose layers these are: the page starts
   * from frames whose bytes an independent implementation (scapy) produced too.
   */
  golden: string;
}

export const STACKS: readonly StackPreset[] = [
  {
    id: 'vlan',
    label: 'VLAN (802.1Q)',
    golden: 'dot1q_vid100',
    overhead: 'ether,dot1q,ipv4',
    layers: [
      { layer: 'ether', dst: '02:00:00:00:00:01', src: '02:00:00:00:00:02' },
      { layer: 'dot1q', pcp: 0, dei: 0, vid: 100 },
      { layer: 'ipv4', src: '192.0.2.1', dst: '192.0.2.2', ttl: 64, id: 1, flags: 0, tos: 0 },
      { layer: 'udp', sport: 1024, dport: 5000 },
      { layer: 'raw', hex: '000102030405060708090a0b0c0d0e0f' },
    ],
  },
  {
    id: 'qinq',
    label: 'QinQ (802.1ad)',
    golden: 'qinq_8021ad_100_8021q_200',
    overhead: 'ether,dot1ad,dot1q,ipv4',
    layers: [
      { layer: 'ether', dst: '02:00:00:00:00:01', src: '02:00:00:00:00:02' },
      { layer: 'dot1ad', pcp: 0, dei: 0, vid: 100 },
      { layer: 'dot1q', pcp: 0, dei: 0, vid: 200 },
      { layer: 'ipv4', src: '192.0.2.1', dst: '192.0.2.2', ttl: 64, id: 1, flags: 0, tos: 0 },
      { layer: 'udp', sport: 1024, dport: 5000 },
      { layer: 'raw', hex: '000102030405060708090a0b0c0d0e0f' },
    ],
  },
  {
    id: 'vxlan',
    label: 'VXLAN',
    golden: 'vxlan_ipv4',
    overhead: 'ether,ipv4,udp,vxlan,ether',
    layers: [
      { layer: 'ether', dst: '02:00:00:00:00:01', src: '02:00:00:00:00:02' },
      { layer: 'ipv4', src: '192.0.2.1', dst: '192.0.2.2', ttl: 64, id: 1, flags: 0, tos: 0 },
      { layer: 'udp', sport: 49152, dport: 4789 },
      { layer: 'vxlan', flags: 8, vni: 5001 },
      { layer: 'ether', dst: '02:00:00:00:01:01', src: '02:00:00:00:01:02' },
      { layer: 'ipv4', src: '10.0.0.1', dst: '10.0.0.2', ttl: 64, id: 2, flags: 0, tos: 0 },
      { layer: 'udp', sport: 1024, dport: 5000 },
      { layer: 'raw', hex: '000102030405060708090a0b0c0d0e0f' },
    ],
  },
  {
    id: 'geneve',
    label: 'Geneve',
    golden: 'geneve_no_options',
    overhead: 'ether,ipv4,udp,geneve,ether',
    layers: [
      { layer: 'ether', dst: '02:00:00:00:00:01', src: '02:00:00:00:00:02' },
      { layer: 'ipv4', src: '192.0.2.1', dst: '192.0.2.2', ttl: 64, id: 1, flags: 0, tos: 0 },
      { layer: 'udp', sport: 49152, dport: 6081 },
      { layer: 'geneve', vni: 1193046, oam: false, critical: false, options: [] },
      { layer: 'ether', dst: '02:00:00:00:01:01', src: '02:00:00:00:01:02' },
      { layer: 'ipv4', src: '10.0.0.1', dst: '10.0.0.2', ttl: 64, id: 2, flags: 0, tos: 0 },
      { layer: 'udp', sport: 1024, dport: 5000 },
      { layer: 'raw', hex: '000102030405060708090a0b0c0d0e0f' },
    ],
  },
  {
    id: 'gre',
    label: 'GRE',
    golden: 'gre_ipv4_in_ipv4',
    overhead: 'ether,ipv4,gre,ipv4',
    layers: [
      { layer: 'ether', dst: '02:00:00:00:00:01', src: '02:00:00:00:00:02' },
      { layer: 'ipv4', src: '192.0.2.1', dst: '192.0.2.2', ttl: 64, id: 1, flags: 0, tos: 0 },
      { layer: 'gre' },
      { layer: 'ipv4', src: '10.0.0.1', dst: '10.0.0.2', ttl: 64, id: 2, flags: 0, tos: 0 },
      { layer: 'udp', sport: 1024, dport: 5000 },
      { layer: 'raw', hex: '000102030405060708090a0b0c0d0e0f' },
    ],
  },
  {
    id: 'nvgre',
    label: 'NVGRE',
    golden: 'nvgre_eth',
    overhead: 'ether,ipv4,gre:key,ether',
    layers: [
      { layer: 'ether', dst: '02:00:00:00:00:01', src: '02:00:00:00:00:02' },
      { layer: 'ipv4', src: '192.0.2.1', dst: '192.0.2.2', ttl: 64, id: 1, flags: 0, tos: 0 },
      { layer: 'gre', key: 305419896, proto: 25944 },
      { layer: 'ether', dst: '02:00:00:00:01:01', src: '02:00:00:00:01:02' },
      { layer: 'ipv4', src: '10.0.0.1', dst: '10.0.0.2', ttl: 64, id: 2, flags: 0, tos: 0 },
      { layer: 'udp', sport: 1024, dport: 5000 },
      { layer: 'raw', hex: '000102030405060708090a0b0c0d0e0f' },
    ],
  },
  {
    id: 'mpls',
    label: 'MPLS',
    golden: 'mpls_stack3_ipv4',
    overhead: 'ether,mpls,mpls,mpls,ipv4',
    layers: [
      { layer: 'ether', dst: '02:00:00:00:00:01', src: '02:00:00:00:00:02' },
      { layer: 'mpls', label: 16, tc: 0, s: 0, ttl: 255 },
      { layer: 'mpls', label: 17, tc: 5, s: 0, ttl: 254 },
      { layer: 'mpls', label: 18, tc: 7, s: 1, ttl: 253 },
      { layer: 'ipv4', src: '10.0.0.1', dst: '10.0.0.2', ttl: 64, id: 2, flags: 0, tos: 0 },
      { layer: 'udp', sport: 1024, dport: 5000 },
      { layer: 'raw', hex: '000102030405060708090a0b0c0d0e0f' },
    ],
  },
  {
    id: 'ipip',
    label: 'IP-in-IP',
    golden: 'ipip_ipv4_in_ipv4',
    overhead: 'ether,ipv4,ipv4',
    layers: [
      { layer: 'ether', dst: '02:00:00:00:00:01', src: '02:00:00:00:00:02' },
      { layer: 'ipv4', src: '192.0.2.1', dst: '192.0.2.2', ttl: 64, id: 1, flags: 0, tos: 0 },
      { layer: 'ipv4', src: '10.0.0.1', dst: '10.0.0.2', ttl: 64, id: 2, flags: 0, tos: 0 },
      { layer: 'udp', sport: 1024, dport: 5000 },
      { layer: 'raw', hex: '000102030405060708090a0b0c0d0e0f' },
    ],
  },
];

/** Overhead stacks beyond the Frames presets (the Overhead view's list). */
export const OVERHEAD_STACKS: readonly { label: string; stack: string }[] = [
  ...STACKS.map((s) => ({ label: s.label, stack: s.overhead })),
  { label: 'VXLAN over IPv6', stack: 'ether,ipv6,udp,vxlan,ether' },
  { label: 'VXLAN, outer 802.1Q', stack: 'ether,dot1q,ipv4,udp,vxlan,ether' },
  { label: 'Geneve + 8 B options', stack: 'ether,ipv4,udp,geneve:8,ether' },
  { label: 'GRE key+seq+chksum', stack: 'ether,ipv4,gre:key+seq+chksum,ipv4' },
  { label: '6in4 (IPv6 in IPv4)', stack: 'ether,ipv4,ipv6' },
];

/** One field of a decoded layer and the bytes it occupies. */
export interface FieldSpan {
  name: string;
  /** Text for the tree (value and, for numbers, its hex). */
  text: string;
  start: number;
  end: number;
  /** Bit pattern over the field's bytes when it does not fill whole bytes ("0110 .... "). */
  bits?: string;
}

export interface LayerSpan {
  kind: string;
  start: number;
  end: number;
  layer: Layer;
  fields: FieldSpan[];
}

export interface Dissection {
  layers: LayerSpan[];
  error?: string;
}

function show(v: unknown, width: number): string {
  if (typeof v === 'number') return width >= 8 && v > 9 ? `${v} (0x${v.toString(16)})` : String(v);
  if (typeof v === 'string') return v === '' ? '(none)' : v;
  return JSON.stringify(v);
}

function bitPattern(bytes: Uint8Array, start: number, nbytes: number, firstBit: number, width: number): string {
  let s = '';
  for (let b = 0; b < nbytes * 8; b++) {
    if (b > 0 && b % 4 === 0) s += ' ';
    const inField = b >= firstBit && b < firstBit + width;
    s += inField ? String((bytes[start + (b >> 3)]! >> (7 - (b & 7))) & 1) : '.';
  }
  return s;
}

/** Decode bytes and say where every layer and field lies (the hex pane and the tree need both). */
export function dissect(bytes: Uint8Array): Dissection {
  const decoded = vk.decodeFrame(bytes);
  const view = new vk.FrameView();
  const n = view.scan(bytes);
  const layers: LayerSpan[] = [];
  let off = 0;
  for (let i = 0; i < decoded.layers.length; i++) {
    const layer = decoded.layers[i]!;
    const start = n === decoded.layers.length ? view.start(i) : off;
    const len = n === decoded.layers.length ? view.length(i) : vk.encodedLength([layer]);
    const end = start + len;
    off = end;
    const fields: FieldSpan[] = [];
    const layout = layoutOf(layer);
    let fixedEnd = start;
    if (layout) {
      for (const f of layout.fields) {
        if (f.internal || !(f.name in layer)) continue;
        const b0 = start + (f.bit >> 3);
        const b1 = start + ((f.bit + f.width + 7) >> 3);
        const partial = f.bit % 8 !== 0 || f.width % 8 !== 0;
        fields.push({
          name: f.name,
          text: show(layer[f.name], f.width),
          start: b0,
          end: b1,
          bits: partial ? bitPattern(bytes, b0, b1 - b0, f.bit - (f.bit >> 3) * 8, f.width) : undefined,
        });
      }
      fixedEnd = start + layout.length;
    }
    // Variable parts, in the order they sit after the fixed part.
    let p = fixedEnd;
    const extra = (name: string, size: number): void => {
      fields.push({ name, text: show(layer[name], size * 8), start: p, end: Math.min(end, p + size) });
      p += size;
    };
    switch (layer.layer) {
      case 'gre':
        if (layer.chksum !== undefined) extra('chksum', 4);
        if (layer.key !== undefined) extra('key', 4);
        if (layer.seq !== undefined) extra('seq', 4);
        break;
      case 'ipv4':
      case 'geneve':
        if (end > p && layer.options !== undefined && layer.options !== '' && !(Array.isArray(layer.options) && layer.options.length === 0)) extra('options', end - p);
        break;
      case 'raw':
        fields.push({ name: 'hex', text: `${len} bytes`, start, end });
        p = end;
        break;
    }
    if (p < end && layer.layer !== 'raw') fields.push({ name: '(rest of header)', text: `${end - p} bytes`, start: p, end });
    layers.push({ kind: layer.layer, start, end, layer, fields });
  }
  return { layers, error: decoded.error?.message };
}

/** The current frame as bytes, or the encoder's error (which names the layer and the field). */
export function encode(layers: readonly Layer[]): { bytes: Uint8Array } | { error: string; index: number; field: string } {
  try {
    return { bytes: vk.encodeFrame(layers) };
  } catch (e) {
    if (e instanceof vk.EncodeError) return { error: e.message, index: e.index, field: e.field };
    if (e instanceof vk.VirtkitError) return { error: e.message, index: -1, field: '' };
    throw e;
  }
}

/** A pcapng file (one section, interface virtkit0) holding the frames, one microsecond apart. */
export function pcapng(frames: readonly Uint8Array[], startSec: number): Uint8Array {
  const w = new vk.CaptureWriter({ format: 'pcapng' });
  let size = w.headerLength();
  for (const f of frames) size += w.maxRecordLength(f.length);
  const buf = new Uint8Array(size);
  let off = w.writeHeader(buf, 0);
  frames.forEach((f, i) => {
    off = w.writeRecord(buf, off, f, startSec, i * 1000);
  });
  return buf.subarray(0, off);
}
