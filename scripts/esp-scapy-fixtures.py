#!/usr/bin/python3
"""
ESP frames from an independent implementation: scapy 2.5's scapy.layers.ipsec.SecurityAssociation
(Debian's python3-scapy, with python3-cryptography doing the AES and HMAC), written with the
layers and SAs that describe them to fixtures/esp/scapy-esp.json. test/net/esp-scapy.test.ts
checks that virtkit's encoder gives the same bytes and its decoder the same layers.

Run: /usr/bin/python3 scripts/esp-scapy-fixtures.py > fixtures/esp/scapy-esp.json

Two things about scapy 2.5 this works around, so the bytes are RFC 4303 ones:
- it pads AES-GCM to the AES block (16) instead of 4 (RFC 4106 section 3 needs only 4, and minimal
  padding is what virtkit writes): the GCM algorithm's block size is set to 1 here;
- its NAT-T header gets a UDP length of 8 (the header alone): NAT-T frames wrap scapy's ESP in a
  UDP header built here.
Frames without an explicit "iv" in their layers use the IV virtkit derives, computed here from
its definition (GCM: the sequence number, 64-bit big-endian; CBC: AES-ECB under the SA's key of
SPI | 4 zero bytes | sequence number as 64 bits).
"""
import json
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from scapy.layers.inet import IP, UDP, ICMP
from scapy.layers.inet6 import IPv6
from scapy.layers.l2 import Ether
from scapy.layers import ipsec
from scapy.packet import Raw

ipsec.CRYPT_ALGOS['AES-GCM'].block_size = 1

SCAPY_CRYPT = {'aes-gcm-128': 'AES-GCM', 'aes-gcm-256': 'AES-GCM', 'aes-cbc-128': 'AES-CBC', 'aes-cbc-256': 'AES-CBC', 'null': 'NULL'}
SCAPY_AUTH = {'none': None, 'hmac-sha256-128': 'SHA2-256-128', 'hmac-sha1-96': 'HMAC-SHA1-96'}


def derived_iv(sa, seq):
    seq64 = (sa.get('esn', 0) << 32) | seq
    if sa['cipher'].startswith('aes-gcm'):
        return struct.pack('>Q', seq64)
    if sa['cipher'].startswith('aes-cbc'):
        enc = Cipher(algorithms.AES(bytes.fromhex(sa['key'])), modes.ECB()).encryptor()
        return enc.update(struct.pack('>IIQ', sa['spi'], 0, seq64)) + enc.finalize()
    return b''


def scapy_sa(sa, tunnel=None):
    kw = dict(spi=sa['spi'], crypt_algo=SCAPY_CRYPT[sa['cipher']], auth_algo=SCAPY_AUTH[sa.get('auth', 'none')] or 'NULL')
    if sa['cipher'] != 'null':
        kw['crypt_key'] = bytes.fromhex(sa['key'])
    if sa.get('authKey'):
        kw['auth_key'] = bytes.fromhex(sa['authKey'])
    if tunnel is not None:
        kw['tunnel_header'] = tunnel
    if 'esn' in sa:
        kw['esn_en'] = True
        kw['esn'] = sa['esn']
    return ipsec.SecurityAssociation(ipsec.ESP, **kw)


ETHER = {'layer': 'ether', 'dst': '02:00:00:00:00:02', 'src': '02:00:00:00:00:01'}
ETH = Ether(dst='02:00:00:00:00:02', src='02:00:00:00:00:01')
SAS = [
    {'spi': 0x3001, 'cipher': 'aes-gcm-128', 'key': '8899aabbccddeeff0011223344556677deadbeef'},
    {'spi': 0x3002, 'cipher': 'aes-gcm-256', 'key': '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeffcafebabe'},
    {'spi': 0x3003, 'cipher': 'aes-cbc-128', 'key': '0123456789abcdef0123456789abcdef', 'auth': 'hmac-sha256-128', 'authKey': 'fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210'},
    {'spi': 0x3004, 'cipher': 'aes-cbc-256', 'key': '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f', 'auth': 'hmac-sha1-96', 'authKey': '0102030405060708090a0b0c0d0e0f1011121314'},
    {'spi': 0x3005, 'cipher': 'null', 'auth': 'hmac-sha256-128', 'authKey': 'a0a1a2a3a4a5a6a7a8a9aaabacadaeaf'},
]
PAYLOAD_1400 = bytes((i * 31 + 7) & 0xff for i in range(1400 - 28))

out = []


def add(name, description, sa, layers, pkt):
    out.append({'name': name, 'description': description, 'sa': [sa], 'layers': layers, 'hex': bytes(pkt).hex()})


def tunnel_case(name, description, sa, seq, inner_layers, inner_pkt, outer6=False, iv=None):
    if outer6:
        outer_layer = {'layer': 'ipv6', 'src': '2001:db8::a', 'dst': '2001:db8::b'}
        tunnel = IPv6(src='2001:db8::a', dst='2001:db8::b')
    else:
        outer_layer = {'layer': 'ipv4', 'src': '203.0.113.1', 'dst': '203.0.113.2', 'id': seq}
        tunnel = IP(src='203.0.113.1', dst='203.0.113.2', id=seq)
    esp_layer = {'layer': 'esp', 'spi': sa['spi'], 'seq': seq}
    if iv is not None:
        esp_layer['iv'] = iv.hex()
    e = scapy_sa(sa, tunnel).encrypt(inner_pkt, seq_num=seq, iv=iv if iv is not None else derived_iv(sa, seq))
    add(name, description, sa, [ETHER, outer_layer, esp_layer] + inner_layers, ETH / e)


inner = [{'layer': 'ipv4', 'src': '10.1.0.1', 'dst': '10.2.0.1', 'id': 1}, {'layer': 'udp', 'sport': 5000, 'dport': 5001}, {'layer': 'raw', 'hex': PAYLOAD_1400.hex()}]
inner_pkt = IP(src='10.1.0.1', dst='10.2.0.1', id=1) / UDP(sport=5000, dport=5001) / Raw(PAYLOAD_1400)
for sa in SAS:
    tunnel_case(f"scapy_{sa['cipher']}_{sa.get('auth', 'none')}_tunnel_1400B_derived_iv", 'tunnel mode, a 1400-byte inner IPv4/UDP packet, IV derived', sa, 7, inner, inner_pkt)

small = [{'layer': 'ipv4', 'src': '10.1.0.1', 'dst': '10.2.0.1', 'id': 2}, {'layer': 'icmp', 'type': 8, 'id': 9, 'seq': 3}, {'layer': 'raw', 'hex': '7669727474'}]
small_pkt = IP(src='10.1.0.1', dst='10.2.0.1', id=2) / ICMP(type=8, id=9, seq=3) / Raw(bytes.fromhex('7669727474'))
tunnel_case('scapy_gcm256_tunnel_v6_explicit_iv', 'AES-GCM-256 tunnel over IPv6, ICMP echo inside, IV given', SAS[1], 0x7fffffff, small, small_pkt, outer6=True, iv=bytes.fromhex('a1a2a3a4a5a6a7a8'))
tunnel_case('scapy_cbc128_sha256_tunnel_v6', 'AES-CBC-128 + HMAC-SHA-256-128 tunnel over IPv6, IV derived', SAS[2], 4294967295, small, small_pkt, outer6=True)

# Transport mode: UDP protected, checksum over the outer IPv4 pseudo-header.
for sa, seq in ((SAS[0], 11), (SAS[3], 12), (SAS[4], 13)):
    pkt = IP(src='198.51.100.7', dst='198.51.100.8', id=seq) / UDP(sport=1701, dport=1701) / Raw(b'transport mode')
    e = scapy_sa(sa).encrypt(pkt, seq_num=seq, iv=derived_iv(sa, seq))
    layers = [ETHER, {'layer': 'ipv4', 'src': '198.51.100.7', 'dst': '198.51.100.8', 'id': seq}, {'layer': 'esp', 'spi': sa['spi'], 'seq': seq},
              {'layer': 'udp', 'sport': 1701, 'dport': 1701}, {'layer': 'raw', 'hex': b'transport mode'.hex()}]
    add(f"scapy_{sa['cipher']}_transport_udp", 'transport mode UDP, IV derived', sa, layers, ETH / e)

# NAT traversal: scapy's ESP (tunnel mode) in a UDP 4500 header built here.
sa = SAS[0]
tunnel = IP(src='203.0.113.1', dst='203.0.113.2', id=20)
e = scapy_sa(sa, tunnel).encrypt(inner_pkt, seq_num=20, iv=derived_iv(sa, 20))
esp_bytes = bytes(e[ipsec.ESP])
natt = ETH / IP(src='203.0.113.1', dst='203.0.113.2', id=20) / UDP(sport=4500, dport=4500, chksum=0) / Raw(esp_bytes)
add('scapy_gcm128_natt_1400B', 'NAT-T (UDP 4500, checksum 0) carrying AES-GCM-128 tunnel mode, 1400-byte inner packet', sa,
    [ETHER, {'layer': 'ipv4', 'src': '203.0.113.1', 'dst': '203.0.113.2', 'id': 20}, {'layer': 'udp', 'sport': 4500, 'dport': 4500, 'chksum': 0},
     {'layer': 'esp', 'spi': sa['spi'], 'seq': 20}] + inner, natt)

# Extended sequence numbers (RFC 4303 2.2.1) with AES-GCM: the high-order half is in the AAD
# (RFC 4106 section 5), not on the wire. scapy 2.5 applies ESN to AEAD ciphers only (its ESP
# HMAC leaves the high-order bits out), so only GCM is taken from it.
ESN_SA = {'spi': 0x3008, 'cipher': 'aes-gcm-128', 'key': '00112233445566778899aabbccddeeff01020304', 'esn': 2}
tunnel_case('scapy_gcm128_esn_tunnel', 'AES-GCM-128 tunnel with extended sequence numbers (high-order 32 bits 2), ICMP echo inside, IV derived from the 64-bit number', ESN_SA, 0xfff0, small, small_pkt)

print(json.dumps({'source': 'scripts/esp-scapy-fixtures.py: scapy 2.5.0 (Debian python3-scapy 2.5.0+dfsg-2, GPL-2.0-only) with python3-cryptography; the bytes are generated data, not scapy code', 'vectors': out}, indent=1))
