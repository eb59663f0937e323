import { UsageError } from '../../errors.js';
import { encapsulationOverhead, overheadJson, STACK_LAYER_NAMES } from '../../net/overhead.js';
import { ESP_CIPHERS } from '../../net/esp/suites.js';
import { flagBool, flagString, parseArgs, parseNumber } from '../args.js';
import type { Command } from '../command.js';

const HELP = `usage: virtkit overhead STACK [--mtu N] [--inner-mtu N] [--json]

What an encapsulation costs, measured by encoding STACK with virtkit's packet encoder.

STACK is a comma list of the outer layers followed by the first inner layer:
  ether,ipv4,udp,vxlan,ether       VXLAN over IPv4 carrying Ethernet
  ether,ipv6,udp,geneve:8,ether    Geneve over IPv6 with 8 bytes of options
  ether,ipv4,gre:key,ether         NVGRE
  ether,ipv4,gre,ipv4              IPv4 over GRE
  ether,mpls,mpls,ipv4             two MPLS labels
  ether,dot1ad,dot1q,ipv4          QinQ
Layers: ${STACK_LAYER_NAMES.join(', ')}. Options after a colon:
  gre:key, gre:seq, gre:chksum, combined with + (gre:key+seq+chksum)
  geneve:N   N bytes of Geneve options (a multiple of 4, 0..252)
  dot1q, dot1ad and mpls add one tag or label each (repeat them for more).
  esp:CIPHER[+AUTH]  ESP tunnel mode: ${ESP_CIPHERS.join(', ')};
             +hmac-sha256-128 or +hmac-sha1-96 for CBC and null (ether,ipv4,esp:aes-gcm-128,ipv4;
             NAT-T: ether,ipv4,udp,esp:aes-gcm-128,ipv4)
The last layer starts the inner packet: ether, mpls, ipv4 or ipv6.

Figures:
  overhead       bytes of all outer headers, the outer Ethernet header included
  mtu            underlay MTU (--mtu, default 1500): largest packet the underlay carries
                 above its link header (leading ether/dot1q/dot1ad layers)
  innerMtu       largest inner IP packet that fits:
                   mtu - (overhead - outer link header) - inner Ethernet header (if any)
  maxInnerFrame  largest inner frame that fits (inner Ethernet header included)
  requiredMtu    underlay MTU an inner MTU of --inner-mtu (default 1500) needs
VXLAN over IPv4 on 1500: overhead 50 (14+20+8+8), innerMtu 1450, requiredMtu 1550.
ESP pads to 4 (GCM, null) or 16 (CBC) bytes, so its overhead is a range: overhead is the fixed
part (header, IV, pad length, next header, ICV), overheadMax adds the largest padding, and
innerMtu/requiredMtu come from encoding packets of each size (GCM over IPv4 on a 1499 underlay:
innerMtu 1442, not 1499 - 54).

Options:
  --mtu N        underlay MTU (default 1500)
  --inner-mtu N  inner MTU for requiredMtu (default 1500)
  --json         {"layers": [{"layer","bytes"}], "overhead", "overheadMax" (ESP only), "mtu",
                  "innerMtu", "maxInnerFrame", "requiredMtu"}
`;

/** Deepest stack measured (the spec allows any; a capture of 64 nested headers is already absurd). */
const MAX_STACK = 64;

export const command: Command = {
  summary: 'encapsulation overhead and MTUs of a layer stack (measured by encoding it)',
  help: HELP,
  async run(argv, io) {
    const p = parseArgs(argv, { mtu: 'string', 'inner-mtu': 'string', json: 'bool' });
    if (p.positional.length !== 1) {
      throw new UsageError(`expected one STACK (e.g. ether,ipv4,udp,vxlan,ether), got ${p.positional.length} arguments`);
    }
    const mtuText = flagString(p, 'mtu');
    const innerText = flagString(p, 'inner-mtu');
    const mtu = mtuText === undefined ? 1500 : parseNumber(mtuText, '--mtu', 0, 0xffffffff);
    const innerMtu = innerText === undefined ? 1500 : parseNumber(innerText, '--inner-mtu', 0, 0xffffffff);
    // Every layer is encoded around the ones inside it, so the work grows with the square of
    // the depth; no real encapsulation comes near this many headers.
    const depth = p.positional[0]!.split(',').length;
    if (depth > MAX_STACK) throw new UsageError(`STACK has ${depth} layers; at most ${MAX_STACK} are measured`);
    const o = encapsulationOverhead(p.positional[0]!, { mtu, innerMtu });
    if (flagBool(p, 'json')) {
      io.stdout(JSON.stringify(overheadJson(o)) + '\n');
      return 0;
    }
    const w = Math.max(...o.layers.map((l) => l.token.length), 8);
    const lines = o.layers.map((l) => `  ${l.token.padEnd(w)} ${String(l.bytes).padStart(4)} bytes`);
    lines.push(`  ${'overhead'.padEnd(w)} ${String(o.overhead).padStart(4)} bytes (${o.layers.map((l) => l.bytes).join(' + ')})`);
    if (o.sa.length) lines.push(`  ${'with padding'.padEnd(w)} ${String(o.overheadMax).padStart(4)} bytes at most (ESP pads to its block)`);
    lines.push('');
    lines.push(`underlay MTU ${o.mtu} (above the ${o.linkHeader}-byte outer link header):`);
    if (o.sa.length) lines.push(`  largest inner IP packet  ${o.innerMtu}   (found by encoding: ESP padding depends on the length)`);
    else lines.push(`  largest inner IP packet  ${o.innerMtu}   (${o.mtu} - ${o.overhead - o.linkHeader} tunnel headers - ${o.innerHeader} inner link header)`);
    lines.push(`  largest inner frame      ${o.maxInnerFrame}`);
    lines.push(`inner MTU ${innerMtu} needs an underlay MTU of ${o.requiredMtu}`);
    io.stdout(lines.join('\n') + '\n');
    return 0;
  },
};
