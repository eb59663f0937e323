/**
 * IEEE 802.1ad service tag (S-tag, `dot1ad`, QinQ): TPID 0x88a8 as the previous layer's
 * EtherType (the decoder also takes the pre-standard 0x9100), then the same 4-byte layout as
 * an 802.1Q tag (VLAN_TAG in dot1q.ts): PCP, DEI, VID, EtherType.
 */
import { tagProtocol } from './dot1q.js';

export const dot1adProtocol = tagProtocol('dot1ad', 'IEEE 802.1ad S-tag (TPID 0x88a8; 0x9100 accepted when decoding): PCP, DEI, VLAN ID, EtherType', '802.1ad', [
  { table: 'ethertype', value: 0x88a8 },
  { table: 'ethertype', value: 0x9100, direction: 'decode' },
]);
