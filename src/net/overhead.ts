/**
 * Encapsulation overhead, measured by ENCODING the stack with the one packet encoder
 * (./index.ts), never looked up in a table of header sizes: the byte counts below are length
 * differences of frames that encodeFrame actually builds, so a header that grows an option
 * (GRE key, Geneve options) is counted exactly as it goes on the wire.
 *
 * Definitions (cli.md, `virtkit overhead`), for a stack of OUTER layers followed by the first
 * INNER layer, e.g. `ether,ipv4,udp,vxlan,ether`:
 *
 *   layers[i].bytes   bytes that outer layer i adds (its encoded header)
 *   overhead          Σ layers[i].bytes — every outer header, the outer Ethernet header included
 *                     (VXLAN/IPv4: 14 + 20 + 8 + 8 = 50)
 *   mtu               the underlay MTU: the largest packet the underlay link carries ABOVE its
 *                     link header. The link header is the leading run of ether / dot1q / dot1ad
 *                     layers of the outer stack (an 802.1Q or 802.1ad tag grows the frame, not
 *                     the MTU: a tagged 1500-MTU link carries 1522-byte frames). MPLS labels sit
 *                     above the link header, so they DO count against the MTU (as on routers,
 *                     where two labels need an MPLS MTU of 1508 for 1500-byte IP packets).
 *   linkHeader        bytes of that outer link header (14, or 18 with an outer 802.1Q tag)
 *   tunnelHeader      overhead − linkHeader: what the encapsulation costs inside the MTU
 *                     (VXLAN/IPv4: 20 + 8 + 8 = 36)
 *   maxInnerFrame     mtu − tunnelHeader: the largest inner frame (the inner Ethernet header
 *                     included when the inner starts with one) — VXLAN/IPv4 on 1500: 1464
 *   innerHeader       bytes in front of the inner IP packet: the inner Ethernet header (14)
 *                     when the inner layer is `ether`, one label (4) for `mpls`, 0 for IP
 *   innerMtu          maxInnerFrame − innerHeader = mtu − (overhead − linkHeader) − innerHeader:
 *                     the largest inner IP packet — VXLAN/IPv4: 1500 − (50 − 14) − 14 = 1450
 *   requiredMtu       innerMtuWanted + innerHeader + tunnelHeader: the underlay MTU that an inner
 *                     MTU of `innerMtuWanted` (default 1500) needs — VXLAN/IPv4: 1500+14+36 = 1550
 *
 * For Ethernet over an Ethernet underlay linkHeader = innerHeader = 14, so innerMtu is simply
 * mtu − overhead (1450) and requiredMtu innerMtuWanted + overhead (1550): the "50 bytes" rule.
 * For IP over an IP tunnel (GRE, IP-in-IP, 6in4) innerHeader is 0 and innerMtu = mtu − (overhead
 * − 14) (GRE: 1500 − 24 = 1476).
 *
 * ESP (`esp:aes-gcm-128`, `esp:aes-cbc-128+hmac-sha256-128`, …) pads its payload to 4 or 16
 * bytes, so its size is not a constant: its layers[i].bytes and `overhead` are the FIXED part
 * (header, IV, pad length, next header, ICV: the frame measured minus the padding it got),
 * `overheadMax` adds the largest padding (align − 1), and innerMtu / requiredMtu are found by
 * encoding frames with inner packets of each size (a binary search over the encoder's output),
 * because the identity innerMtu = mtu − tunnelHeader − innerHeader does not hold: GCM over IPv4
 * on a 1499 underlay has 1499 − 20 (IPv4) − 8 (SPI, seq) − 8 (IV) − 16 (ICV) = 1447 bytes for
 * payload + padding + 2, a multiple of 4, so at most 1444: the inner packet gets 1442, not
 * 1499 − 54 = 1445.
 */
import { EncodeError, VirtkitError } from '../errors.js';
import { decodeFrame, encodeFrame, encodedLength, type Layer } from './index.js';
import { SaTable, type SecurityAssociation } from './esp/sa.js';
import { AUTH_SUITES, CIPHER_SUITES, ESP_AUTHS, ESP_CIPHERS, type EspAuth, type EspCipher } from './esp/suites.js';

/** A stack that cannot be measured: an unknown layer or option, or an MTU too small for it. */
export class OverheadError extends VirtkitError {
  override name = 'OverheadError';
}

/** Layer kinds a stack may name, with the options each accepts (`kind:opt+opt` or `kind:N`). */
const STACK_LAYERS = {
  ether: { options: [] as string[], hint: '' },
  dot1q: { options: [], hint: '' },
  dot1ad: { options: [], hint: '' },
  mpls: { options: [], hint: '' },
  ipv4: { options: [], hint: '' },
  ipv6: { options: [], hint: '' },
  udp: { options: [], hint: '' },
  vxlan: { options: [], hint: '' },
  gre: { options: ['key', 'seq', 'chksum'], hint: 'key, seq, chksum, joined with +' },
  geneve: { options: [], hint: 'N = bytes of Geneve options, a multiple of 4 in 0..252' },
  esp: { options: [], hint: `CIPHER[+AUTH]: ${ESP_CIPHERS.join(', ')}; AUTH for CBC/null: ${ESP_AUTHS.join(', ')}` },
} as const;
type StackKind = keyof typeof STACK_LAYERS;

/** Kinds that may start the inner packet (the last name of a stack). */
const INNER_KINDS: readonly StackKind[] = ['ether', 'mpls', 'ipv4', 'ipv6'];
/** Kinds that form a link header (not counted against the MTU when they lead the outer stack). */
const LINK_KINDS: readonly StackKind[] = ['ether', 'dot1q', 'dot1ad'];

export const STACK_LAYER_NAMES: readonly string[] = Object.keys(STACK_LAYERS);

/** One parsed element of a STACK string. */
export interface StackElement {
  kind: StackKind;
  /** The text as given, e.g. `gre:key+seq`. */
  token: string;
  /** GRE: which optional fields are present. */
  gre?: { key: boolean; seq: boolean; chksum: boolean };
  /** Geneve: bytes of options. */
  geneveOptionBytes?: number;
  /** ESP: cipher suite and authentication. */
  esp?: { cipher: EspCipher; auth: EspAuth };
}

function layerList(): string {
  return STACK_LAYER_NAMES.map((k) => {
    const hint = STACK_LAYERS[k as StackKind].hint;
    return hint ? `${k}[:${k === 'geneve' ? 'N' : k === 'esp' ? 'CIPHER[+AUTH]' : 'opts'}]` : k;
  }).join(', ');
}

/** `esp:CIPHER[+AUTH]`: the cipher suite an ESP element measures with. */
function parseEspOption(opt: string | undefined): { cipher: EspCipher; auth: EspAuth } {
  const hint = `valid: esp:CIPHER[+AUTH] with CIPHER ${ESP_CIPHERS.join(', ')} and AUTH (CBC, null) ${ESP_AUTHS.join(', ')}, e.g. esp:aes-gcm-128, esp:aes-cbc-128+hmac-sha256-128`;
  if (opt === undefined) throw new OverheadError(`esp needs its cipher (${hint})`);
  const [cipher, auth = 'none', ...more] = opt.split('+');
  if (!(ESP_CIPHERS as readonly string[]).includes(cipher!) || !(ESP_AUTHS as readonly string[]).includes(auth) || more.length > 0) {
    throw new OverheadError(`unknown option '${opt}' for esp (${hint})`);
  }
  if (CIPHER_SUITES[cipher as EspCipher].mode === 'gcm' && auth !== 'none') throw new OverheadError(`esp:${opt}: ${cipher} authenticates by itself; give no +AUTH`);
  return { cipher: cipher as EspCipher, auth: auth as EspAuth };
}

/** SPIs of the ESP layers of measured frames (one per element, from its depth). */
const ESP_SPI_BASE = 0x100;

/** An SA with fixed keys for an ESP element: only the sizes matter to the measurement. */
function measuringSa(spi: number, cipher: EspCipher, auth: EspAuth): SecurityAssociation {
  const sa: SecurityAssociation = { spi, cipher };
  const keyLength = CIPHER_SUITES[cipher].keyLength;
  if (keyLength) sa.key = '5a'.repeat(keyLength);
  if (auth !== 'none') {
    sa.auth = auth;
    sa.authKey = 'a5'.repeat(AUTH_SUITES[auth].icvLength + 4);
  }
  return sa;
}

/** Parse `ether,ipv4,udp,vxlan,ether` (options after a colon) into elements. */
export function parseStack(stack: string | readonly string[]): StackElement[] {
  const tokens = typeof stack === 'string' ? stack.split(',') : [...stack];
  const out: StackElement[] = [];
  for (const raw of tokens) {
    const token = raw.trim();
    const colon = token.indexOf(':');
    const name = (colon < 0 ? token : token.slice(0, colon)).toLowerCase();
    const opt = colon < 0 ? undefined : token.slice(colon + 1);
    if (!Object.prototype.hasOwnProperty.call(STACK_LAYERS, name)) {
      throw new OverheadError(`unknown layer '${token === '' ? '(empty)' : name}' in stack (valid: ${layerList()})`);
    }
    const kind = name as StackKind;
    const el: StackElement = { kind, token };
    if (kind === 'gre') {
      el.gre = { key: false, seq: false, chksum: false };
      if (opt !== undefined) {
        for (const o of opt.split('+')) {
          if (o !== 'key' && o !== 'seq' && o !== 'chksum') {
            throw new OverheadError(`unknown option '${o}' for gre (valid: key, seq, chksum, joined with +, e.g. gre:key+seq)`);
          }
          el.gre[o] = true;
        }
      }
    } else if (kind === 'geneve') {
      el.geneveOptionBytes = 0;
      if (opt !== undefined) {
        if (!/^\d+$/.test(opt) || Number(opt) % 4 !== 0 || Number(opt) > 252) {
          throw new OverheadError(`unknown option '${opt}' for geneve (valid: N = bytes of options, a multiple of 4 in 0..252, e.g. geneve:8)`);
        }
        el.geneveOptionBytes = Number(opt);
      }
    } else if (kind === 'esp') {
      el.esp = parseEspOption(opt);
    } else if (opt !== undefined) {
      throw new OverheadError(`unknown option '${opt}' for ${kind} (valid: none; ${kind} takes no options)`);
    }
    out.push(el);
  }
  if (out.length < 2) {
    throw new OverheadError(`a stack needs outer layers followed by the first inner layer, e.g. ether,ipv4,udp,vxlan,ether (got '${tokens.join(',')}')`);
  }
  // Pairings the encoder would accept but that no tunnel uses: say so instead of measuring nonsense.
  for (let i = 0; i + 1 < out.length; i++) {
    const { kind } = out[i]!;
    const next = out[i + 1]!.kind;
    if (kind === 'vxlan' && next !== 'ether') {
      throw new OverheadError(`vxlan carries Ethernet: the layer after vxlan must be ether (got '${out[i + 1]!.token}')`);
    }
    if (kind === 'udp' && next !== 'vxlan' && next !== 'geneve' && next !== 'mpls' && next !== 'esp') {
      throw new OverheadError(`udp must be followed by a UDP tunnel: vxlan, geneve, mpls or esp (NAT-T) (got '${out[i + 1]!.token}')`);
    }
    if (kind === 'esp' && next !== 'ipv4' && next !== 'ipv6') {
      throw new OverheadError(`esp carries an IP packet here (tunnel mode): the layer after esp must be ipv4 or ipv6 (got '${out[i + 1]!.token}')`);
    }
  }
  const inner = out[out.length - 1]!;
  if (!INNER_KINDS.includes(inner.kind)) {
    throw new OverheadError(`the last layer of a stack is the first inner layer and must be one of ${INNER_KINDS.join(', ')} (got '${inner.token}')`);
  }
  return out;
}

// Documentation addresses (RFC 5737 / RFC 3849 / RFC 7042) for the frames that get measured.
const MAC_A = '02:00:00:00:00:01';
const MAC_B = '02:00:00:00:00:02';
const IN_MAC_A = '0a:00:00:00:00:01';
const IN_MAC_B = '0a:00:00:00:00:02';

/** Geneve options totalling `bytes` (each option: a 4-byte header + up to 124 bytes of data). */
function geneveOptions(bytes: number): { class: number; type: number; data: string }[] {
  const opts: { class: number; type: number; data: string }[] = [];
  let left = bytes;
  while (left > 0) {
    const dataBytes = Math.min(left - 4, 124);
    opts.push({ class: 0x0103, type: 0x80 | opts.length, data: '00'.repeat(dataBytes) });
    left -= 4 + dataBytes;
  }
  return opts;
}

/**
 * The concrete layer object for one stack element. `next` is the element after it, used only for
 * next-protocol values the encoder does not derive by itself (UDP ports are never guessed, per
 * layers.md; MPLS in UDP is port 6635, RFC 7510).
 */
function layerFor(el: StackElement, next: StackKind | undefined, outer: boolean, depth: number): Layer {
  switch (el.kind) {
    case 'ether':
      return outer ? { layer: 'ether', dst: MAC_B, src: MAC_A } : { layer: 'ether', dst: IN_MAC_B, src: IN_MAC_A };
    case 'dot1q':
      return { layer: 'dot1q', vid: 100 + depth };
    case 'dot1ad':
      return { layer: 'dot1ad', vid: 200 + depth };
    case 'mpls':
      return { layer: 'mpls', label: 1000 + depth };
    case 'ipv4': {
      // MPLS in IP (137) is filled in by the encoder, like every next-protocol number it knows.
      return outer ? { layer: 'ipv4', src: '192.0.2.1', dst: '192.0.2.2' } : { layer: 'ipv4', src: '10.0.0.1', dst: '10.0.0.2' };
    }
    case 'ipv6': {
      return outer ? { layer: 'ipv6', src: '2001:db8::1', dst: '2001:db8::2' } : { layer: 'ipv6', src: '2001:db8:1::1', dst: '2001:db8:1::2' };
    }
    case 'udp': {
      // NAT-T (RFC 3948): port 4500 both ways, checksum 0.
      if (next === 'esp') return { layer: 'udp', sport: 4500, dport: 4500, chksum: 0 };
      const dport = next === 'vxlan' ? 4789 : next === 'geneve' ? 6081 : next === 'mpls' ? 6635 : 9;
      return { layer: 'udp', sport: 49152, dport };
    }
    case 'esp':
      return { layer: 'esp', spi: ESP_SPI_BASE + depth, seq: 1 };
    case 'vxlan':
      return { layer: 'vxlan', vni: 5001 };
    case 'gre': {
      const l: Layer = { layer: 'gre' };
      if (el.gre?.key) l['key'] = 5001 << 8; // NVGRE-style: VSID 5001, FlowID 0
      if (el.gre?.seq) l['seq'] = 1;
      if (el.gre?.chksum) l['chksum'] = true;
      return l;
    }
    case 'geneve':
      return { layer: 'geneve', vni: 5001, options: geneveOptions(el.geneveOptionBytes ?? 0) };
  }
}

/** A minimal inner packet starting with `kind`: what the outer layers carry when measured. */
function innerPacket(el: StackElement): Layer[] {
  const ip: Layer[] = [
    { layer: 'ipv4', src: '10.0.0.1', dst: '10.0.0.2' },
    { layer: 'udp', sport: 1234, dport: 5678 },
    { layer: 'raw', hex: '68656c6c6f' },
  ];
  switch (el.kind) {
    case 'ether':
      return [layerFor(el, 'ipv4', false, 0), ...ip];
    case 'mpls':
      return [layerFor(el, 'ipv4', false, 9), ...ip];
    case 'ipv6':
      return [layerFor(el, 'udp', false, 0), ...ip.slice(1)];
    default:
      return ip;
  }
}

export interface OverheadOptions {
  /** Underlay MTU (bytes above the outer link header). Default 1500. */
  mtu?: number;
  /** Inner MTU that `requiredMtu` is computed for. Default 1500. */
  innerMtu?: number;
}

export interface OverheadLayer {
  /** Layer kind (as in the JSON layer format). */
  layer: string;
  /** The stack token it came from, options included (`gre:key`). */
  token: string;
  /** Bytes this outer layer adds. */
  bytes: number;
}

export interface Overhead {
  layers: OverheadLayer[];
  overhead: number;
  mtu: number;
  innerMtu: number;
  maxInnerFrame: number;
  requiredMtu: number;
  /** Leading ether/dot1q/dot1ad bytes of the outer stack: outside the underlay MTU. */
  linkHeader: number;
  /** Bytes before the inner IP packet inside the inner frame (inner Ethernet 14, a label 4, IP 0). */
  innerHeader: number;
  /** The frame that was measured: outer layers + a minimal inner packet, in layer form. */
  frame: Layer[];
  /** Index in `frame` where the inner packet starts. */
  innerStart: number;
  /** `overhead` plus the largest padding its ESP layers can add (equal to `overhead` without ESP). */
  overheadMax: number;
  /** The security associations the frame's ESP layers were encoded with (empty without ESP). */
  sa: SecurityAssociation[];
}

/**
 * The overhead figures of `stack` (see the definitions at the top of this file). Every number is
 * a length difference of frames built by the real encoder:
 *   layers[i].bytes = encodedLength(frame[i..]) − encodedLength(frame[i+1..])
 *   overhead        = encodeFrame(frame).length − encodedLength(inner packet)
 */
export function encapsulationOverhead(stack: string | readonly string[] | readonly StackElement[], opts: OverheadOptions = {}): Overhead {
  const elements: StackElement[] =
    typeof stack !== 'string' && stack.length > 0 && typeof stack[0] === 'object'
      ? [...(stack as readonly StackElement[])]
      : parseStack(stack as string | readonly string[]);
  const mtu = opts.mtu ?? 1500;
  const innerMtuWanted = opts.innerMtu ?? 1500;
  for (const [name, v] of [['mtu', mtu], ['inner-mtu', innerMtuWanted]] as const) {
    if (!Number.isSafeInteger(v) || v < 0) throw new OverheadError(`${name} ${v} is not a byte count`);
  }
  const outerEls = elements.slice(0, -1);
  const innerEl = elements[elements.length - 1]!;
  const outerLayers = outerEls.map((el, i) => layerFor(el, elements[i + 1]!.kind, true, i));
  const inner = innerPacket(innerEl);
  const frame = [...outerLayers, ...inner];
  const innerStart = outerLayers.length;
  const sa = outerEls.flatMap((el, i) => (el.esp ? [measuringSa(ESP_SPI_BASE + i, el.esp.cipher, el.esp.auth)] : []));
  const opts2 = sa.length ? { sa: new SaTable(sa) } : undefined;
  const stackText = elements.map((el) => el.token).join(',');

  // The whole frame through the real encoder (checksums, encryption and all): its length is the ground truth.
  let frameBytes: Uint8Array;
  try {
    frameBytes = encodeFrame(frame, opts2);
  } catch (e) {
    // A pairing the encoder cannot express (e.g. ether directly inside ether).
    if (e instanceof EncodeError) throw new OverheadError(`stack ${stackText} cannot be encoded: ${e.message}`);
    throw e;
  }
  const innerBytes = encodedLength(inner);
  // The padding each ESP layer got for this inner packet (read back from the frame): not part
  // of the fixed overhead.
  const padOf = new Map<number, number>();
  if (opts2) {
    const decoded = decodeFrame(frameBytes, opts2).layers.filter((l) => l.layer === 'esp');
    outerEls.forEach((el, i) => {
      if (el.esp) padOf.set(i, Number(decoded.shift()?.['padlen'] ?? 0));
    });
  }

  const layers: OverheadLayer[] = [];
  let suffix = frameBytes.length;
  for (let i = 0; i < outerLayers.length; i++) {
    const rest = encodedLength(frame.slice(i + 1), opts2);
    layers.push({ layer: outerEls[i]!.kind, token: outerEls[i]!.token, bytes: suffix - rest - (padOf.get(i) ?? 0) });
    suffix = rest;
  }
  const overhead = layers.reduce((n, l) => n + l.bytes, 0);
  let overheadMax = overhead;
  for (const el of outerEls) if (el.esp) overheadMax += CIPHER_SUITES[el.esp.cipher].align - 1;
  if (!opts2 && overhead !== frameBytes.length - innerBytes) throw new Error(`overhead of ${stackText}: layer sum ${overhead} ≠ frame difference ${frameBytes.length - innerBytes}`);

  let linkHeader = 0;
  for (let i = 0; i < outerEls.length && LINK_KINDS.includes(outerEls[i]!.kind); i++) linkHeader += layers[i]!.bytes;

  // Inner header: the inner packet's bytes in front of its first IP layer.
  const firstIp = inner.findIndex((l) => l.layer === 'ipv4' || l.layer === 'ipv6');
  const innerHeader = innerBytes - encodedLength(inner.slice(firstIp));

  const tunnelHeader = overhead - linkHeader;
  let innerMtu: number;
  let requiredMtu: number;
  if (!opts2) {
    innerMtu = mtu - tunnelHeader - innerHeader;
    if (innerMtu < 0) {
      throw new OverheadError(`mtu ${mtu} is too small for this stack: its tunnel headers and inner header take ${tunnelHeader + innerHeader} bytes of it`);
    }
    requiredMtu = innerMtuWanted + innerHeader + tunnelHeader;
  } else {
    // Padding depends on the length: measure by encoding inner packets of the size in question.
    const ipFixed = encodedLength(inner.slice(firstIp, -1));
    const underlayFor = (ipLength: number): number => {
      const sized = inner.map((l, k) => (k === inner.length - 1 ? { layer: 'raw', hex: '00'.repeat(ipLength - ipFixed) } : l));
      try {
        return encodeFrame([...outerLayers, ...sized], opts2).length - linkHeader;
      } catch (e) {
        // An IP or UDP length past 65535: no underlay carries it.
        if (e instanceof EncodeError) return Infinity;
        throw e;
      }
    };
    if (mtu < underlayFor(ipFixed)) {
      throw new OverheadError(`mtu ${mtu} is too small for this stack: the smallest inner packet (${ipFixed} bytes) needs ${underlayFor(ipFixed)}`);
    }
    // The largest inner IP packet whose frame fits: underlayFor grows with the size (monotonic).
    let lo = ipFixed;
    let hi = Math.max(ipFixed, Math.min(mtu, 0xffff));
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (underlayFor(mid) <= mtu) lo = mid;
      else hi = mid - 1;
    }
    innerMtu = lo;
    if (innerMtuWanted < ipFixed) throw new OverheadError(`inner-mtu ${innerMtuWanted} is below the smallest inner packet of this stack (${ipFixed} bytes)`);
    requiredMtu = underlayFor(innerMtuWanted);
    if (requiredMtu === Infinity) throw new OverheadError(`inner-mtu ${innerMtuWanted} cannot be carried: the outer IP packet would exceed 65535 bytes`);
  }
  const maxInnerFrame = innerMtu + innerHeader;
  return { layers, overhead, mtu, innerMtu, maxInnerFrame, requiredMtu, linkHeader, innerHeader, frame, innerStart, overheadMax, sa };
}

/** The JSON document of `virtkit overhead --json` (cli.md keys, in cli.md order). */
export function overheadJson(o: Overhead): {
  layers: { layer: string; bytes: number }[];
  overhead: number;
  overheadMax?: number;
  mtu: number;
  innerMtu: number;
  maxInnerFrame: number;
  requiredMtu: number;
} {
  return {
    layers: o.layers.map((l) => ({ layer: l.layer, bytes: l.bytes })),
    overhead: o.overhead,
    // With ESP only: padding makes the overhead a range.
    ...(o.sa.length ? { overheadMax: o.overheadMax } : {}),
    mtu: o.mtu,
    innerMtu: o.innerMtu,
    maxInnerFrame: o.maxInnerFrame,
    requiredMtu: o.requiredMtu,
  };
}
