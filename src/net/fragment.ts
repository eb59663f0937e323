/**
 * IPv4 (RFC 791) and IPv6 (RFC 8200) fragmentation of any frame in the JSON layer format.
 *
 * Choice: fragments are built THROUGH THE LAYER FORMAT, not by patching bytes. The frame is
 * encoded once (so every auto field and checksum of the original is what the encoder makes),
 * decoded back (so the IP header's fields come from the one IPv4/IPv6 description in ./index.ts,
 * not from offsets written here), and each fragment is a new layer list:
 *   link layers as decoded (ether, dot1q, …) + an `ipv4` layer with explicit `proto`, `id`,
 *   `flags`, `frag` and `options` + a `raw` layer holding the fragment's slice of the payload.
 * encodeFrame then fills `ihl`, `len` and the per-fragment header checksum — one encoder, one
 * checksum. For IPv6 the fragment is the `ipv6` layer, the unfragmentable extension headers as
 * decoded, an `ipv6frag` layer (offset, M, identification, next header) and a `raw` slice; the
 * encoder fills the next header 44 before the `ipv6frag`.
 */
import { VirtkitError } from '../errors.js';
import { bytesToHex, hexToBytes } from '../bytes/hex.js';
import { decodeFrame, encodeFrame, encodedLength, type Layer } from './index.js';
import { IPV4 } from './ipv4.js';
import { IPV6 } from './ipv6.js';
import { IPV6_FRAGMENT } from './ipv6frag.js';

/** Fragmentation that cannot be done as asked (MTU below the minimum, DF set, bad sizes). */
export class FragmentError extends VirtkitError {
  override name = 'FragmentError';
}

/** RFC 791: every IPv4 module must forward a 68-byte datagram without further fragmentation. */
export const IPV4_MIN_MTU = 68;
/** RFC 8200 section 5: every IPv6 link has an MTU of at least 1280. */
export const IPV6_MIN_MTU = 1280;

export interface FragmentOptions {
  /** MTU of the link: the largest IP packet (header included) a fragment may be. */
  mtu: number;
  /**
   * Payload bytes per fragment (all but the last), a multiple of 8. Default: the largest
   * multiple of 8 that fits the MTU.
   */
  fragmentSize?: number;
  /** IPv4: fragment even though DF is set (default: a DF packet that does not fit is an error). */
  ignoreDf?: boolean;
}

export interface Ipv6FragmentOptions extends FragmentOptions {
  /** Identification of the Fragment header (32 bits). Default 1. */
  identification?: number;
}

function toHex(b: Uint8Array): string {
  return bytesToHex(b);
}

function fromHex(h: string, what: string): Uint8Array {
  const b = hexToBytes(h);
  if (b === null) throw new FragmentError(`${what} '${h}' is not hex`);
  return b;
}

/** IPv4 `flags` as a number (bit 1 DF, bit 0 MF); the layer format also allows "DF", "MF", "DF+MF". */
function flagsNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    let f = 0;
    for (const p of v.split('+')) {
      if (p === 'DF') f |= 2;
      else if (p === 'MF') f |= 1;
    }
    return f;
  }
  return 0;
}

function num(v: unknown, what: string): number {
  if (typeof v !== 'number') throw new FragmentError(`decoded IP header has no numeric ${what}`);
  return v;
}

/** Encode `frame`, decode it back, and locate the first IP layer of `kind`. */
function locate(frame: readonly Layer[], kind: 'ipv4' | 'ipv6') {
  const bytes = encodeFrame(frame);
  const decoded = decodeFrame(bytes);
  const layers = decoded.layers;
  const k = layers.findIndex((l) => l.layer === kind);
  if (k < 0) throw new FragmentError(`the frame has no ${kind} layer to fragment`);
  const ipStart = bytes.length - encodedLength(layers.slice(k));
  return { bytes, layers, k, ip: layers[k]!, ipStart };
}

/**
 * The options that go into every fragment after the first: those whose copy bit (0x80 of the
 * option type) is set, RFC 791 3.1. End-of-list and NOP are not copied; the result is padded
 * to a multiple of 4 with End-of-list (0) bytes.
 */
export function copiedIpv4Options(options: Uint8Array): Uint8Array {
  const kept: number[] = [];
  let i = 0;
  while (i < options.length) {
    const type = options[i]!;
    if (type === 0) break; // End of Option List
    if (type === 1) {
      i++; // No Operation
      continue;
    }
    const len = options[i + 1];
    if (len === undefined || len < 2 || i + len > options.length) {
      throw new FragmentError(`IPv4 option ${type} at option byte ${i} has a bad length ${len ?? '(missing)'}`);
    }
    if (type & 0x80) for (let j = i; j < i + len; j++) kept.push(options[j]!);
    i += len;
  }
  while (kept.length % 4 !== 0) kept.push(0);
  return Uint8Array.from(kept);
}

/** Payload bytes per fragment: `wanted` checked, or the largest multiple of 8 that fits. */
function chunkSize(mtu: number, header: number, wanted: number | undefined, family: string): number {
  const room = mtu - header;
  if (wanted !== undefined) {
    if (!Number.isSafeInteger(wanted) || wanted <= 0 || wanted % 8 !== 0) {
      throw new FragmentError(`fragment size ${wanted} is not a positive multiple of 8 (fragment offsets count 8-byte units)`);
    }
    if (wanted > room) {
      throw new FragmentError(`fragment size ${wanted} plus the ${header}-byte ${family} header exceeds the MTU ${mtu}`);
    }
    return wanted;
  }
  const size = room - (room % 8);
  if (size < 8) throw new FragmentError(`MTU ${mtu} leaves no room for 8 bytes of payload after a ${header}-byte ${family} header`);
  return size;
}

function checkMtu(mtu: number, min: number, family: string): void {
  if (!Number.isSafeInteger(mtu) || mtu < min) {
    throw new FragmentError(`MTU ${mtu} is below the ${family} minimum of ${min}`);
  }
}

/**
 * Fragment the first IPv4 packet of `frame` (link layers in front are repeated on every
 * fragment) so that each fragment's IP packet is at most `opts.mtu` bytes. Returns the frames,
 * in order; a packet that already fits comes back as the one frame [frame].
 *
 * RFC 791: offsets in 8-byte units (an already-fragmented packet keeps its base offset), MF on
 * every fragment but the last (the last keeps the original MF), identification, TOS, TTL, DF and
 * protocol kept, the header checksum recomputed per fragment by the encoder, all options on the
 * first fragment and only the copied ones on the others.
 */
export function fragmentIpv4(frame: readonly Layer[], opts: FragmentOptions): Layer[][] {
  checkMtu(opts.mtu, IPV4_MIN_MTU, 'IPv4');
  const { bytes, layers, k, ip, ipStart } = locate(frame, 'ipv4');
  const headerLen = num(ip['ihl'], 'ihl') * 4;
  const totalLen = num(ip['len'], 'len');
  if (totalLen < headerLen || ipStart + totalLen > bytes.length) {
    throw new FragmentError(`IPv4 total length ${totalLen} does not fit the ${bytes.length - ipStart} bytes of the packet`);
  }
  if (totalLen <= opts.mtu) return [frame.map((l) => ({ ...l }))];
  const flags = flagsNumber(ip['flags']);
  if (flags & 2 && !opts.ignoreDf) {
    throw new FragmentError(`the ${totalLen}-byte IPv4 packet has DF set and does not fit the MTU ${opts.mtu}`);
  }
  const payload = bytes.subarray(ipStart + headerLen, ipStart + totalLen);
  const allOptions = typeof ip['options'] === 'string' ? fromHex(ip['options'], 'IPv4 options') : new Uint8Array(0);
  const laterOptions = copiedIpv4Options(allOptions);
  const firstSize = chunkSize(opts.mtu, headerLen, opts.fragmentSize, 'IPv4');
  const laterSize = chunkSize(opts.mtu, IPV4.length + laterOptions.length, opts.fragmentSize, 'IPv4');
  const baseOffset = num(ip['frag'] ?? 0, 'frag');

  // The header fields that every fragment keeps; ihl, len and chksum are left to the encoder.
  const { ihl: _ihl, len: _len, chksum: _chk, flags: _f, frag: _fr, options: _o, ...kept } = ip;
  const link = layers.slice(0, k);
  const out: Layer[][] = [];
  for (let off = 0; off < payload.length; ) {
    const size = Math.min(out.length === 0 ? firstSize : laterSize, payload.length - off);
    const last = off + size >= payload.length;
    const mf = last ? flags & 1 : 1;
    const ipLayer: Layer = {
      ...kept,
      layer: 'ipv4',
      flags: (flags & ~1) | mf,
      frag: baseOffset + off / 8,
      options: toHex(out.length === 0 ? allOptions : laterOptions),
    };
    out.push([...link.map((l) => ({ ...l })), ipLayer, { layer: 'raw', hex: toHex(payload.subarray(off, off + size)) }]);
    off += size;
  }
  return out;
}

/** Extension headers that may belong to the unfragmentable part (RFC 8200 4.5). */
const EXTENSION_KINDS: ReadonlySet<string> = new Set(['ipv6hbh', 'ipv6dest', 'ipv6rh']);

/**
 * Fragment the first IPv6 packet of `frame` with the Fragment extension header (RFC 8200 4.5)
 * so that each fragment's IPv6 packet is at most `opts.mtu` bytes. The unfragmentable part (the
 * IPv6 header plus any Hop-by-Hop, Routing, and Destination Options headers before a Routing
 * header) is repeated on every fragment, its last next header left to the encoder (44, from the
 * `ipv6frag` layer that follows); the `ipv6frag` layer carries the offset in 8-byte units, M on
 * all but the last, the identification and the next header of the fragmentable part.
 * A packet that already fits comes back unchanged (no atomic fragments, RFC 8021).
 */
export function fragmentIpv6(frame: readonly Layer[], opts: Ipv6FragmentOptions): Layer[][] {
  checkMtu(opts.mtu, IPV6_MIN_MTU, 'IPv6');
  const { bytes, layers, k, ip, ipStart } = locate(frame, 'ipv6');
  const plen = num(ip['plen'], 'plen');
  const payloadStart = ipStart + IPV6.length;
  if (payloadStart + plen > bytes.length) {
    throw new FragmentError(`IPv6 payload length ${plen} exceeds the ${bytes.length - payloadStart} bytes present`);
  }
  if (IPV6.length + plen <= opts.mtu) return [frame.map((l) => ({ ...l }))];
  const id = opts.identification ?? 1;
  if (!Number.isSafeInteger(id) || id < 0 || id > 0xffffffff) throw new FragmentError(`identification ${id} is out of range 0..2^32-1`);

  // The unfragmentable extension headers: up to the last Hop-by-Hop or Routing header of the chain.
  let last = k;
  for (let j = k + 1; j < layers.length && EXTENSION_KINDS.has(layers[j]!.layer); j++) if (layers[j]!.layer !== 'ipv6dest') last = j;
  const unfrag = layers.slice(k + 1, last + 1).map((l) => ({ ...l }));
  const fragNh = num((last === k ? ip : layers[last]!)['nh'], 'nh');
  let unfragLength = 0;
  for (const l of unfrag) unfragLength += encodedLength([l]);
  if (unfrag.length) delete unfrag[unfrag.length - 1]!['nh'];
  const fragmentable = bytes.subarray(payloadStart + unfragLength, payloadStart + plen);
  const size = chunkSize(opts.mtu, IPV6.length + unfragLength + IPV6_FRAGMENT.length, opts.fragmentSize, 'IPv6');

  const { plen: _p, nh: ipNh, ...kept } = ip;
  const ipv6: Layer = unfrag.length ? { ...kept, nh: ipNh } : kept;
  const link = layers.slice(0, k);
  const out: Layer[][] = [];
  for (let o = 0; o < fragmentable.length; ) {
    const n = Math.min(size, fragmentable.length - o);
    const more = o + n < fragmentable.length;
    out.push([
      ...link.map((l) => ({ ...l })),
      { ...ipv6 },
      ...unfrag.map((l) => ({ ...l })),
      { layer: 'ipv6frag', nh: fragNh, offset: o / 8, m: more ? 1 : 0, id },
      { layer: 'raw', hex: toHex(fragmentable.subarray(o, o + n)) },
    ]);
    o += n;
  }
  return out;
}

/**
 * Fragment an encoded frame (bytes, starting with Ethernet): the first IP layer decides IPv4
 * (RFC 791) or IPv6 (RFC 8200). Returns the encoded fragments; a frame that fits comes back as
 * one frame with the same bytes.
 */
export function fragmentFrame(bytes: Uint8Array, opts: Ipv6FragmentOptions): Uint8Array[] {
  const layers = decodeFrame(bytes).layers;
  const ip = layers.find((l) => l.layer === 'ipv4' || l.layer === 'ipv6');
  if (ip === undefined) throw new FragmentError('the frame has no ipv4 or ipv6 layer to fragment');
  const frames = ip.layer === 'ipv4' ? fragmentIpv4(layers, opts) : fragmentIpv6(layers, opts);
  return frames.map((f) => encodeFrame(f));
}
