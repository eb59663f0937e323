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
 * checksum. For IPv6 the fragment is an `ipv6` layer with explicit `nh` (44, Fragment, unless
 * unfragmentable extension headers precede it) followed by a `raw` layer carrying the
 * unfragmentable extension headers, the 8-byte Fragment header and the slice. The layer format
 * has no Fragment-header layer, so its 8 bytes are laid out here, in FRAG6 below, and nowhere else.
 */
import { VirtkitError } from '../errors.js';
import { bytesToHex, hexToBytes } from '../bytes/hex.js';
import { decodeFrame, encodeFrame, encodedLength, type Layer } from './index.js';

/** Fragmentation that cannot be done as asked (MTU below the minimum, DF set, bad sizes). */
export class FragmentError extends VirtkitError {
  override name = 'FragmentError';
}

/** RFC 791: every IPv4 module must forward a 68-byte datagram without further fragmentation. */
export const IPV4_MIN_MTU = 68;
/** RFC 8200 section 5: every IPv6 link has an MTU of at least 1280. */
export const IPV6_MIN_MTU = 1280;
/** IPv6 Fragment extension header: Next Header value, and its length. */
export const IPV6_FRAGMENT_NH = 44;

/**
 * The Fragment extension header (RFC 8200 4.5), 8 bytes:
 *   0 Next Header | 1 Reserved | 2..3 Fragment Offset (13 bits, 8-octet units) · Res (2) · M (1)
 *   4..7 Identification
 */
const FRAG6 = { nextHeader: 0, reserved: 1, offsetFlags: 2, identification: 4, length: 8, offsetShift: 3, mBit: 1 } as const;

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
  const laterSize = chunkSize(opts.mtu, 20 + laterOptions.length, opts.fragmentSize, 'IPv4');
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

/** Extension headers that belong to the unfragmentable part (RFC 8200 4.5): Hop-by-Hop, Routing. */
const HOP_BY_HOP = 0;
const ROUTING = 43;
const DEST_OPTS = 60;

/**
 * Fragment the first IPv6 packet of `frame` with the Fragment extension header (RFC 8200 4.5)
 * so that each fragment's IPv6 packet is at most `opts.mtu` bytes. The unfragmentable part (the
 * IPv6 header plus any Hop-by-Hop, Routing, and Destination Options headers before a Routing
 * header) is repeated on every fragment with its last Next Header set to 44; the Fragment
 * header carries the offset in 8-byte units, M on all but the last, and the identification.
 * A packet that already fits comes back unchanged (no atomic fragments, RFC 8021).
 */
export function fragmentIpv6(frame: readonly Layer[], opts: Ipv6FragmentOptions): Layer[][] {
  checkMtu(opts.mtu, IPV6_MIN_MTU, 'IPv6');
  const { bytes, layers, k, ip, ipStart } = locate(frame, 'ipv6');
  const plen = num(ip['plen'], 'plen');
  const payloadStart = ipStart + 40;
  if (payloadStart + plen > bytes.length) {
    throw new FragmentError(`IPv6 payload length ${plen} exceeds the ${bytes.length - payloadStart} bytes present`);
  }
  if (40 + plen <= opts.mtu) return [frame.map((l) => ({ ...l }))];
  const id = opts.identification ?? 1;
  if (!Number.isSafeInteger(id) || id < 0 || id > 0xffffffff) throw new FragmentError(`identification ${id} is out of range 0..2^32-1`);
  const payload = bytes.subarray(payloadStart, payloadStart + plen);

  // Walk the extension headers to find where the unfragmentable part ends.
  let cur = num(ip['nh'], 'nh');
  let off = 0;
  let unfragEnd = 0;
  let lastUnfrag = -1;
  let fragNh = cur;
  while (cur === HOP_BY_HOP || cur === ROUTING || cur === DEST_OPTS) {
    if (off + 2 > payload.length) throw new FragmentError(`IPv6 extension header ${cur} at payload byte ${off} is cut short`);
    const hlen = (payload[off + 1]! + 1) * 8;
    const next = payload[off]!;
    if (off + hlen > payload.length) throw new FragmentError(`IPv6 extension header ${cur} at payload byte ${off} is cut short`);
    if (cur !== DEST_OPTS) {
      unfragEnd = off + hlen;
      lastUnfrag = off;
      fragNh = next;
    }
    off += hlen;
    cur = next;
  }
  const unfrag = payload.slice(0, unfragEnd);
  if (lastUnfrag >= 0) unfrag[lastUnfrag] = IPV6_FRAGMENT_NH;
  const fragmentable = payload.subarray(unfragEnd);
  const size = chunkSize(opts.mtu, 40 + unfrag.length + FRAG6.length, opts.fragmentSize, 'IPv6');

  const { plen: _p, nh: _nh, ...kept } = ip;
  const ipNh = lastUnfrag >= 0 ? num(ip['nh'], 'nh') : IPV6_FRAGMENT_NH;
  const link = layers.slice(0, k);
  const out: Layer[][] = [];
  for (let o = 0; o < fragmentable.length; ) {
    const n = Math.min(size, fragmentable.length - o);
    const more = o + n < fragmentable.length;
    const raw = new Uint8Array(unfrag.length + FRAG6.length + n);
    raw.set(unfrag, 0);
    const h = unfrag.length;
    const word = ((o / 8) << FRAG6.offsetShift) | (more ? FRAG6.mBit : 0);
    raw[h + FRAG6.nextHeader] = fragNh;
    raw[h + FRAG6.reserved] = 0;
    raw[h + FRAG6.offsetFlags] = word >>> 8;
    raw[h + FRAG6.offsetFlags + 1] = word & 0xff;
    raw[h + FRAG6.identification] = id >>> 24;
    raw[h + FRAG6.identification + 1] = (id >>> 16) & 0xff;
    raw[h + FRAG6.identification + 2] = (id >>> 8) & 0xff;
    raw[h + FRAG6.identification + 3] = id & 0xff;
    raw.set(fragmentable.subarray(o, o + n), h + FRAG6.length);
    out.push([...link.map((l) => ({ ...l })), { ...kept, layer: 'ipv6', nh: ipNh }, { layer: 'raw', hex: toHex(raw) }]);
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
