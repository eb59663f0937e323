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
  /** What an empty input means (a default, "auto", "optional"). */
  placeholder: string;
  /** Width in bits of a fixed-part field (0 for variable parts). */
  width: number;
  /** The protocol descriptor's one line about the field (the input's tooltip). */
  about: string;
}

/**
 * The fixed-part layout of a decoded or typed layer, from its protocol descriptor. A descriptor
 * with several layouts has either alternatives selected by a field (ICMP, ICMPv6: every layout
 * starts with `type`) — the first whose fields the layer has is the one — or parts in sequence
 * (GRE's optional words, Geneve's option header), of which the first is the fixed part.
 */
function layoutOf(layer: Layer): Layout | undefined {
  const layouts = vk.protocolOf(layer.layer)?.layouts ?? [];
  const first = layouts[0];
  if (!first) return undefined;
  const selector = first.fields[0]!.name;
  if (!layouts.every((l) => l.fields[0]?.name === selector)) return first;
  return layouts.find((l) => l.fields.every((f) => f.internal || f.hidden || f.auto || f.def !== undefined || f.name in layer)) ?? first;
}

/** JSON-valued variable parts (a list of objects); every other field outside the layouts is hex. */
const JSON_FIELDS: ReadonlySet<string> = new Set(['geneve.options']);

/** The input for a layout field's kind; any other kind (byte strings) is typed as hex. */
function inputOf(kind: string): InputKind {
  return kind === 'uint' || kind === 'bool' || kind === 'mac' || kind === 'ipv4' || kind === 'ipv6' ? kind : 'hex';
}

/**
 * The form of a layer: every JSON field its protocol descriptor lists, the fixed part's fields
 * first in header order; typed from the layout that holds the field (a GRE key is a 32-bit
 * number), hex or JSON for variable parts; reserved and internal bits left out.
 */
export function formFields(layer: Layer): FormField[] {
  const d = vk.protocolOf(layer.layer);
  if (!d) return [];
  const about = d.fields as Readonly<Record<string, string>>;
  const main = layoutOf(layer);
  const layoutField = (name: string): vk.Field | undefined => main?.f[name as never] ?? d.layouts.map((l) => l.f[name as never] as vk.Field | undefined).find((f) => f !== undefined);
  const names = [...(main?.fields.map((f) => f.name) ?? []), ...Object.keys(about)].filter((n, i, all) => all.indexOf(n) === i && n in about);
  const out: FormField[] = [];
  for (const name of names) {
    const f = layoutField(name);
    if (f && (f.internal || f.hidden)) continue;
    if (f) {
      const def = f.def === undefined ? '' : String(f.def);
      const inMain = main?.fields.includes(f) ?? false;
      out.push({ name, input: inputOf(f.kind), auto: f.auto, placeholder: f.auto ? 'auto' : !inMain ? 'absent' : def === '' ? 'required' : def, width: f.width, about: about[name] ?? '' });
    } else {
      out.push({ name, input: JSON_FIELDS.has(`${layer.layer}.${name}`) ? 'json' : 'hex', auto: false, placeholder: 'optional', width: 0, about: about[name] ?? '' });
    }
  }
  return out;
}

/** A stack the Frames view offers: layers to start from, and the same stack for the overhead figures. */
export interface StackPreset {
  id: string;
  label: string;
  layers: Layer[];
  /** `virtkit overhead` STACK for the outer layers and the first inner one. */
  overhead: string;
  /**
   * The golden vector (fixtures/vectors/golden.json, or fixtures/esp/scapy-esp.json for ESP)
   * whose layers these are: the page starts from frames whose bytes an independent
   * implementation (scapy) produced too.
   */
  golden: string;
  /** Security associations for its `esp` layers. */
  sa?: vk.SecurityAssociation[];
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
  {
    id: 'esp',
    label: 'ESP (AES-GCM)',
    golden: 'scapy_aes-gcm-128_transport_udp',
    overhead: 'ether,ipv4,esp:aes-gcm-128,ipv4',
    // The page's own security association: the frame is encrypted and decrypted with it.
    sa: [{ spi: 12289, cipher: 'aes-gcm-128', key: '8899aabbccddeeff0011223344556677deadbeef' }],
    layers: [
      { layer: 'ether', dst: '02:00:00:00:00:02', src: '02:00:00:00:00:01' },
      { layer: 'ipv4', src: '198.51.100.7', dst: '198.51.100.8', id: 11 },
      { layer: 'esp', spi: 12289, seq: 11 },
      { layer: 'udp', sport: 1701, dport: 1701 },
      { layer: 'raw', hex: '7472616e73706f7274206d6f6465' },
    ],
  },
];

/** Overhead stacks beyond the Frames presets (the Overhead view's list). */
export const OVERHEAD_STACKS: readonly { label: string; stack: string }[] = [
  ...STACKS.map((s) => ({ label: s.label, stack: s.overhead })),
  { label: 'ESP, AES-CBC + HMAC-SHA-256', stack: 'ether,ipv4,esp:aes-cbc-128+hmac-sha256-128,ipv4' },
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
  /** Decoded from inside an ESP payload: its bytes are ciphertext on the wire (start = end = -1). */
  encrypted?: boolean;
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

/**
 * Decode bytes and say where every layer and field lies (the hex pane and the tree need both).
 * With security associations, ESP payloads are decrypted: the layers inside are in the tree but
 * have no bytes on the wire (start = end = -1); the ESP layer's span covers its ciphertext.
 */
export function dissect(bytes: Uint8Array, sa?: vk.SecurityAssociation[]): Dissection {
  const decoded = vk.decodeFrame(bytes, sa ? { sa } : {});
  const view = new vk.FrameView();
  const n = view.scan(bytes);
  const layers: LayerSpan[] = [];
  for (let i = 0; i < decoded.layers.length; i++) {
    const layer = decoded.layers[i]!;
    if (i >= n) {
      layers.push({ kind: layer.layer, start: -1, end: -1, layer, fields: Object.keys(layer).filter((k) => k !== 'layer').map((k) => ({ name: k, text: show(layer[k], 16), start: -1, end: -1 })), encrypted: true });
      continue;
    }
    const start = view.start(i);
    const len = view.length(i);
    const end = start + len;
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
      case 'ipv6hbh':
      case 'ipv6dest':
      case 'tcp':
      case 'geneve':
        if (end > p && layer.options !== undefined && layer.options !== '' && !(Array.isArray(layer.options) && layer.options.length === 0)) extra('options', end - p);
        break;
      case 'esp':
        if (typeof layer.iv === 'string') extra('iv', layer.iv.length / 2);
        fields.push({ name: i + 1 < decoded.layers.length ? '(encrypted payload, padding, trailer, ICV)' : 'data', text: `${end - p} bytes`, start: p, end });
        p = end;
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
export function encode(layers: readonly Layer[], sa?: vk.SecurityAssociation[]): { bytes: Uint8Array } | { error: string; index: number; field: string } {
  try {
    return { bytes: vk.encodeFrame(layers, sa ? { sa } : undefined) };
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
