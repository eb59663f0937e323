#!/usr/bin/python3
"""Golden frames for the tunnel and access-link layers (PPP, PPPoE and its discovery stage, GRE version 1, ERSPAN I/II/III,
GTP-U, RARP, VXLAN-GPE, NSH, GRE-in-UDP), built by an independent implementation: scapy.

Each vector pairs virtkit's JSON layers with the bytes scapy builds from the same header values.
scapy writes a PPP protocol below 0x100 in one byte (protocol field compression, RFC 1661
section 6.5), so those layers say `"pfc": true`; its ERSPAN_II leaves `ver` 0 unless given.
Run with Debian's python3-scapy: /usr/bin/python3 scripts/make-golden-tunnels.py
"""
import json
import struct
import sys

from scapy.all import ARP, GRE, GRE_PPTP, HDLC, ICMP, IP, IPv6, PPP, PPPoE, UDP, Dot1AD, Dot1Q, Ether, Raw, conf
from scapy.contrib.erspan import ERSPAN_II, ERSPAN_III, ERSPAN_PlatformSpecific
from scapy.contrib.gtp import GTP_U_Header
from scapy.contrib.nsh import NSH
from scapy.layers.ppp import PPPoED, PPPoED_Tags, PPPoETag
from scapy.layers.vxlan import VXLAN
import scapy

conf.verb = 0

E = {'layer': 'ether', 'dst': '02:00:00:00:00:02', 'src': '02:00:00:00:00:01'}
SE = dict(dst='02:00:00:00:00:02', src='02:00:00:00:00:01')
E2 = {'layer': 'ether', 'dst': '0a:00:00:00:00:02', 'src': '0a:00:00:00:00:01'}
SE2 = dict(dst='0a:00:00:00:00:02', src='0a:00:00:00:00:01')
IP4 = {'layer': 'ipv4', 'src': '192.0.2.1', 'dst': '192.0.2.2', 'id': 1, 'ttl': 64}
SIP4 = dict(src='192.0.2.1', dst='192.0.2.2', id=1, ttl=64)
IN4 = {'layer': 'ipv4', 'src': '10.0.0.1', 'dst': '10.0.0.2', 'id': 7, 'ttl': 64}
SIN4 = dict(src='10.0.0.1', dst='10.0.0.2', id=7, ttl=64)
IN6 = {'layer': 'ipv6', 'src': '2001:db8::1', 'dst': '2001:db8::2', 'hlim': 64}
SIN6 = dict(src='2001:db8::1', dst='2001:db8::2', hlim=64)
PAYLOAD = b'virtkit'
RAW = {'layer': 'raw', 'hex': PAYLOAD.hex()}
U = lambda s, d: {'layer': 'udp', 'sport': s, 'dport': d}
ECHO = {'layer': 'icmp', 'type': 8, 'id': 1, 'seq': 1}
SECHO = dict(type=8, id=1, seq=1)

vectors = []


def add(name, description, layers, pkt):
    vectors.append({'name': name, 'description': description, 'layers': layers, 'hex': bytes(pkt).hex()})


add('pptp_gre_v1_ppp_ipv4', 'PPTP enhanced GRE (version 1, call id, sequence and acknowledgment numbers) carrying PPP with address/control, then IPv4/UDP',
    [E, IP4, {'layer': 'gre', 'version': 1, 'callid': 0x1234, 'seq': 5, 'ack': 4}, {'layer': 'ppp', 'address': 0xff, 'control': 3, 'proto': 0x21, 'pfc': True}, IN4, U(1234, 5678), RAW],
    Ether(**SE) / IP(**SIP4) / GRE_PPTP(call_id=0x1234, seqnum_present=1, sequence_number=5, acknum_present=1, ack_number=4) / HDLC() / PPP(proto=0x0021) / IP(**SIN4) / UDP(sport=1234, dport=5678) / Raw(PAYLOAD))
add('pptp_gre_v1_ack_only', 'PPTP enhanced GRE acknowledging without payload (A bit, no S bit)',
    [E, IP4, {'layer': 'gre', 'version': 1, 'proto': 0x880b, 'callid': 7, 'ack': 99}],
    Ether(**SE) / IP(**SIP4) / GRE_PPTP(call_id=7, acknum_present=1, ack_number=99))
add('pppoe_session_ppp_ipv6', 'PPPoE session (0x8864) carrying PPP (no address/control) and IPv6/UDP',
    [E, {'layer': 'pppoe', 'sessionid': 0x2a}, {'layer': 'ppp', 'pfc': True}, IN6, U(546, 547), RAW],
    Ether(**SE) / PPPoE(sessionid=0x2a) / PPP(proto=0x0057) / IPv6(**SIN6) / UDP(sport=546, dport=547) / Raw(PAYLOAD))
add('pppoe_over_qinq', 'PPPoE session over QinQ (802.1ad S-tag, 802.1Q C-tag) carrying PPP/IPv4/ICMP',
    [E, {'layer': 'dot1ad', 'vid': 100}, {'layer': 'dot1q', 'vid': 200}, {'layer': 'pppoe', 'sessionid': 1}, {'layer': 'ppp', 'pfc': True}, IN4, ECHO, RAW],
    Ether(**SE) / Dot1AD(vlan=100) / Dot1Q(vlan=200) / PPPoE(sessionid=1) / PPP(proto=0x0021) / IP(**SIN4) / ICMP(**SECHO) / Raw(PAYLOAD))
add('erspan_type_i', 'ERSPAN type I: GRE 0x88be without sequence number, the mirrored frame right after',
    [E, IP4, {'layer': 'gre'}, {'layer': 'erspan', 'ver': 0}, E2, IN4, ECHO, RAW],
    Ether(**SE) / IP(**SIP4) / GRE(proto=0x88be) / Ether(**SE2) / IP(**SIN4) / ICMP(**SECHO) / Raw(PAYLOAD))
add('erspan_type_ii', 'ERSPAN type II (GRE 0x88be with sequence number): session id, VLAN, CoS, index',
    [E, IP4, {'layer': 'gre', 'seq': 17}, {'layer': 'erspan', 'ver': 1, 'vlan': 10, 'cos': 5, 'en': 3, 't': 0, 'session_id': 100, 'index': 0x12345}, E2, IN4, ECHO, RAW],
    Ether(**SE) / IP(**SIP4) / GRE(seqnum_present=1, sequence_number=17) / ERSPAN_II(ver=1, vlan=10, cos=5, en=3, t=0, session_id=100, index=0x12345) / Ether(**SE2) / IP(**SIN4) / ICMP(**SECHO) / Raw(PAYLOAD))
add('erspan_type_iii', 'ERSPAN type III (GRE 0x22eb): timestamp, SGT, hardware id, direction, granularity',
    [E, IP4, {'layer': 'gre', 'seq': 3}, {'layer': 'erspan', 'ver': 2, 'vlan': 20, 'cos': 1, 'bso': 0, 't': 0, 'session_id': 512, 'timestamp': 0x01020304, 'sgt_other': 0xbeef, 'p': 0, 'ft': 0, 'hw': 9, 'd': 1, 'gra': 3, 'o': 0}, E2, IN4, ECHO, RAW],
    Ether(**SE) / IP(**SIP4) / GRE(proto=0x22eb, seqnum_present=1, sequence_number=3) / ERSPAN_III(vlan=20, cos=1, session_id=512, timestamp=0x01020304, sgt_other=0xbeef, hw=9, d=1, gra=3, o=0) / Ether(**SE2) / IP(**SIN4) / ICMP(**SECHO) / Raw(PAYLOAD))
add('erspan_type_iii_platform', 'ERSPAN type III with the platform-specific sub-header (o = 1)',
    [E, IP4, {'layer': 'gre', 'seq': 4}, {'layer': 'erspan', 'ver': 2, 'session_id': 1, 'timestamp': 1000, 'gra': 1, 'o': 1, 'platf_id': 3, 'info1': 0x123456, 'info2': 0xdeadbeef}, E2, IN4, ECHO, RAW],
    Ether(**SE) / IP(**SIP4) / GRE(proto=0x22eb, seqnum_present=1, sequence_number=4) / ERSPAN_III(session_id=1, timestamp=1000, gra=1, o=1) / ERSPAN_PlatformSpecific(platf_id=3, info1=0x123456, info2=0xdeadbeef) / Ether(**SE2) / IP(**SIN4) / ICMP(**SECHO) / Raw(PAYLOAD))
add('gtpu_ipv4', 'GTP-U G-PDU (UDP 2152) carrying IPv4/UDP',
    [E, IP4, U(2152, 2152), {'layer': 'gtpu', 'teid': 0x11223344}, IN4, U(1234, 53), RAW],
    Ether(**SE) / IP(**SIP4) / UDP(sport=2152, dport=2152) / GTP_U_Header(teid=0x11223344) / IP(**SIN4) / UDP(sport=1234, dport=53) / Raw(PAYLOAD))
add('gtpu_seq_ipv6', 'GTP-U with the S flag: sequence number, N-PDU number and next-extension type follow; carrying IPv6',
    [E, IP4, U(2152, 2152), {'layer': 'gtpu', 'teid': 5, 's': 1, 'seq': 0x0102, 'npdu': 0, 'next_ex': 0}, IN6, U(1234, 53), RAW],
    Ether(**SE) / IP(**SIP4) / UDP(sport=2152, dport=2152) / GTP_U_Header(teid=5, S=1, seq=0x0102) / IPv6(**SIN6) / UDP(sport=1234, dport=53) / Raw(PAYLOAD))
add('rarp_request', 'RARP request (EtherType 0x8035, op 3: who am I)',
    [{'layer': 'ether', 'dst': 'ff:ff:ff:ff:ff:ff', 'src': '02:00:00:00:00:01'}, {'layer': 'rarp', 'op': 3, 'hwsrc': '02:00:00:00:00:01', 'psrc': '0.0.0.0', 'hwdst': '02:00:00:00:00:01', 'pdst': '0.0.0.0'}],
    Ether(dst='ff:ff:ff:ff:ff:ff', src='02:00:00:00:00:01', type=0x8035) / ARP(op=3, hwsrc='02:00:00:00:00:01', psrc='0.0.0.0', hwdst='02:00:00:00:00:01', pdst='0.0.0.0'))
add('arp_other_lengths', 'ARP whose header gives other address lengths (hardware 8 bytes, protocol 4): hardware addresses as hex',
    [E, {'layer': 'arp', 'hwtype': 6, 'hwlen': 8, 'plen': 4, 'op': 1, 'hwsrc': '0102030405060708', 'psrc': '192.0.2.1', 'hwdst': '0000000000000000', 'pdst': '192.0.2.2'}],
    Ether(**SE) / ARP(hwtype=6, hwlen=8, plen=4, op=1, hwsrc=bytes.fromhex('0102030405060708'), psrc='192.0.2.1', hwdst=bytes(8), pdst='192.0.2.2'))
# scapy has no ATMARP layer: its fixed part is packed here field by field from RFC 2225 section 8.7.
add('atmarp_request', 'ATMARP request (hardware type 19, RFC 2225): 20-byte NSAPA sender number, no subaddresses, IPv4 protocol addresses',
    [{'layer': 'ether', 'dst': 'ff:ff:ff:ff:ff:ff', 'src': '02:00:00:00:00:01'}, {'layer': 'arp', 'hwtype': 19, 'op': 1, 'hwsrc': bytes(range(1, 21)).hex(), 'psrc': '192.0.2.1', 'pdst': '192.0.2.2'}],
    Ether(dst='ff:ff:ff:ff:ff:ff', src='02:00:00:00:00:01', type=0x0806) / Raw(struct.pack('!HHBBHBBBB', 19, 0x0800, 20, 0, 1, 4, 0, 0, 4) + bytes(range(1, 21)) + bytes([192, 0, 2, 1, 192, 0, 2, 2])))
add('vxlan_gpe_nsh_ipv4', 'VXLAN-GPE (UDP 4790, next protocol NSH) and NSH MD type 1 (16 bytes of context) carrying IPv4/UDP',
    [E, IP4, U(49152, 4790), {'layer': 'vxlangpe', 'vni': 5001}, {'layer': 'nsh', 'mdtype': 1, 'ttl': 63, 'spi': 0x123, 'si': 254, 'context': '00000001000000020000000300000004'}, IN4, U(1234, 5678), RAW],
    Ether(**SE) / IP(**SIP4) / UDP(sport=49152, dport=4790) / VXLAN(flags=0x0c, NextProtocol=4, vni=5001) / NSH(mdtype=1, ttl=63, spi=0x123, si=254, context_header=bytes.fromhex('00000001000000020000000300000004')) / IP(**SIN4) / UDP(sport=1234, dport=5678) / Raw(PAYLOAD))
add('pppoe_session_ppp_uncompressed', 'PPPoE session carrying PPP with a 2-byte protocol field (IPv4)',
    [E, {'layer': 'pppoe', 'sessionid': 3}, {'layer': 'ppp', 'proto': 0x0021}, IN4, ECHO, RAW],
    Ether(**SE) / PPPoE(sessionid=3) / Raw(b'\x00\x21') / IP(**SIN4) / ICMP(**SECHO) / Raw(PAYLOAD))
add('gre_in_udp', 'GRE-in-UDP (RFC 8086, UDP 4754) carrying IPv4/ICMP',
    [E, IP4, U(49152, 4754), {'layer': 'gre'}, IN4, ECHO, RAW],
    Ether(**SE) / IP(**SIP4) / UDP(sport=49152, dport=4754) / GRE(proto=0x0800) / IP(**SIN4) / ICMP(**SECHO) / Raw(PAYLOAD))
add('pppoed_padi', 'PPPoE discovery (0x8863): PADI broadcast with a Service-Name (empty: any service) and a Host-Uniq tag',
    [{'layer': 'ether', 'dst': 'ff:ff:ff:ff:ff:ff', 'src': '02:00:00:00:00:01'}, {'layer': 'pppoed', 'code': 0x09, 'tags': '0101000001030004deadbeef'}],
    Ether(dst='ff:ff:ff:ff:ff:ff', src='02:00:00:00:00:01') / PPPoED(code=0x09) / PPPoED_Tags(tag_list=[PPPoETag(tag_type=0x0101, tag_value=b''), PPPoETag(tag_type=0x0103, tag_value=bytes.fromhex('deadbeef'))]))
add('pppoed_pads', 'PPPoE discovery: PADS assigning session 0x1234, with the AC-Name and Host-Uniq echoed',
    [E, {'layer': 'pppoed', 'code': 0x65, 'sessionid': 0x1234, 'tags': '01020004425241530103000401020304'}],
    Ether(**SE) / PPPoED(code=0x65, sessionid=0x1234) / PPPoED_Tags(tag_list=[PPPoETag(tag_type=0x0102, tag_value=b'BRAS'), PPPoETag(tag_type=0x0103, tag_value=bytes.fromhex('01020304'))]))
add('pppoed_padt', 'PPPoE discovery: PADT ending session 0x1234, no tags',
    [E, {'layer': 'pppoed', 'code': 0xa7, 'sessionid': 0x1234}],
    Ether(**SE) / PPPoED(code=0xa7, sessionid=0x1234))

json.dump({'source': f'scapy {scapy.VERSION} (scripts/make-golden-tunnels.py)', 'vectors': vectors}, sys.stdout, indent=1)
sys.stdout.write('\n')
