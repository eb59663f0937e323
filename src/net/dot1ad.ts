/**
 * IEEE 802.1ad service tag (S-tag, `dot1ad`, QinQ): TPID 0x88a8 as the previous layer's
 * EtherType (the decoder also takes the pre-standard 0x9100), then the same 4-byte layout as
 * an 802.1Q tag (VLAN_TAG in dot1q.ts): PCP, DEI, VID, EtherType.
 */
import { tagCodec, tagDissector } from './dot1q.js';

export const dot1adCodec = tagCodec('dot1ad');
export const dissectDot1ad = tagDissector('dot1ad');
