/**
 * Compile-time checks of the layer types (not run: `tsc --noEmit` on this file, from
 * test/net/types.test.ts). Every `@ts-expect-error` line must be an error, or tsc fails with
 * "Unused '@ts-expect-error' directive"; every other line must compile.
 */
import { encodeFrame, encodedLength, type AnyLayer, type Layer, type LayerOf } from '../../src/net/index.js';

const E = { layer: 'ether', dst: '02:00:00:00:00:02', src: '02:00:00:00:00:01' } as const;
const IP = { layer: 'ipv4', src: '192.0.2.1', dst: '192.0.2.2' } as const;
const U = { layer: 'udp', sport: 1, dport: 4789 } as const;

// Correct frames compile, literal or typed.
encodeFrame([E, IP, U, { layer: 'vxlan', vni: 5 }, E, { layer: 'ipv4', src: '10.0.0.1', dst: '10.0.0.2', flags: 'DF' }, { layer: 'udp', sport: 1, dport: 2 }, { layer: 'raw', hex: '00' }]);
const vx: LayerOf<'vxlan'> = { layer: 'vxlan', vni: 5001, flags: 8 };
encodeFrame([E, IP, U, vx, E, IP, U]);
encodeFrame([E, { layer: 'ipv6', src: '::1', dst: '::2' }, { layer: 'tcp', sport: 1, dport: 2, flags: 'SA', options: '020405b4' }]);
encodeFrame([E, { layer: 'ipv6', src: '::1', dst: '::2' }, { layer: 'icmpv6', type: 2, mtu: 1280 }]);
encodeFrame([E, IP, { layer: 'udp', sport: 1, dport: 6081 }, { layer: 'geneve', vni: 1, options: [{ class: 1, type: 2, data: '00000000' }] }, E, IP, U]);
// Untyped layers (parsed JSON) are checked at run time only.
const parsed = JSON.parse('[]') as Layer[];
encodeFrame(parsed);
const any: AnyLayer[] = [E, IP, U];
encodedLength(any);

// @ts-expect-error misspelt field (vnii)
encodeFrame([E, IP, U, { layer: 'vxlan', vnii: 5 }]);
// @ts-expect-error an extra field the kind does not have
encodeFrame([E, IP, U, { layer: 'vxlan', vni: 5, vlan: 3 }]);
// @ts-expect-error a string where a number belongs
encodeFrame([E, IP, U, { layer: 'vxlan', vni: '5' }]);
// @ts-expect-error a number where an address belongs
encodeFrame([E, { layer: 'ipv4', src: 3232235521, dst: '192.0.2.2' }]);
// @ts-expect-error a required field missing (dst)
encodeFrame([{ layer: 'ether', src: '02:00:00:00:00:01' }]);
// @ts-expect-error an unknown kind
encodeFrame([E, { layer: 'ipv5', src: '::1' }]);
// @ts-expect-error IPv4 flags text that is not DF/MF
encodeFrame([E, { layer: 'ipv4', src: '192.0.2.1', dst: '192.0.2.2', flags: 'XF' }]);
// @ts-expect-error a field of ICMPv6 that no layout has
encodeFrame([E, { layer: 'ipv6', src: '::1', dst: '::2' }, { layer: 'icmpv6', type: 2, mut: 1280 }]);
// @ts-expect-error LayerOf checks a typed variable too
const bad: LayerOf<'udp'> = { layer: 'udp', sport: 1 };
void bad;
