/** Address text, hex and the RFC 1071 checksum, checked against values computed by hand / from the RFCs. */
import { describe, expect, it } from 'vitest';
import { BufferTooSmallError, bytesToHex, copyWithSum, foldSum, onesSumOf, writerFor, formatIpv4, formatIpv6, formatMac, hexToBytes, internetChecksum, onesSum, parseIpv4, parseIpv6, parseMac } from '../../src/net/index.js';

describe('IPv6 text', () => {
  it.each([
    ['2001:db8::1', '2001:db8::1'],
    ['2001:0DB8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // RFC 5952 §4.2.3: first of equal runs
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // §4.2.2: one zero word is not compressed
    ['::', '::'],
    ['::1', '::1'],
    ['1::', '1::'],
    ['fe80::1:2', 'fe80::1:2'],
    ['::ffff:192.0.2.1', '::ffff:192.0.2.1'],
    ['::ffff:c000:201', '::ffff:192.0.2.1'],
    ['64:ff9b::192.0.2.33', '64:ff9b::c000:221'],
    ['2001:db8:0:0:0:0:2:1', '2001:db8::2:1'],
    ['2001:db8::aaaa:0:0:1', '2001:db8::aaaa:0:0:1'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
  ])('%s → %s', (input, canonical) => {
    const b = parseIpv6(input);
    expect(b).not.toBeNull();
    expect(formatIpv6(b!)).toBe(canonical);
  });

  it.each(['', ':', ':::', '1::2::3', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', '12345::', 'g::1', '::1.2.3', '1:2:3:4:5:6:7:1.2.3.4', '::ffff:1.2.3.256', '1:2:3:4:5:6:7:8::'])(
    'rejects %j',
    (bad) => {
      expect(parseIpv6(bad)).toBeNull();
    },
  );
});

describe('IPv4 and MAC text', () => {
  it('parses and formats', () => {
    expect(parseIpv4('192.0.2.1')).toBe(0xc0000201);
    expect(formatIpv4(0xffffffff)).toBe('255.255.255.255');
    expect(formatIpv4(parseIpv4('10.20.30.40'))).toBe('10.20.30.40');
    for (const bad of ['1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', '1.2.3.-1', 'a.b.c.d', '']) expect(parseIpv4(bad)).toBe(-1);
    expect(formatMac(parseMac('AA:bb:0C:dd:ee:0F')!)).toBe('aa:bb:0c:dd:ee:0f');
    expect(formatMac(parseMac('aa-bb-cc-dd-ee-ff')!)).toBe('aa:bb:cc:dd:ee:ff');
    for (const bad of ['aa:bb:cc:dd:ee', 'aa:bb:cc:dd:ee:ff:00', 'aa:bb-cc:dd:ee:ff', 'gg:bb:cc:dd:ee:ff']) expect(parseMac(bad)).toBeNull();
  });

  it('hex', () => {
    expect(bytesToHex(hexToBytes('00FFa5')!)).toBe('00ffa5');
    expect(hexToBytes('abc')).toBeNull();
    expect(hexToBytes('zz')).toBeNull();
  });
});

describe('RFC 1071 checksum', () => {
  it('matches the RFC 1071 §3 example sum', () => {
    // Words 0001 f203 f4f5 f6f7: one's-complement sum ddf2, checksum 220d.
    const b = hexToBytes('0001f203f4f5f6f7')!;
    expect(internetChecksum(b, 0, b.length)).toBe(0x220d);
  });

  it('pads an odd trailing byte with zero and chains partial sums', () => {
    const b = hexToBytes('0102030405')!;
    expect(onesSum(b, 0, 5)).toBe(0x0102 + 0x0304 + 0x0500);
    expect(internetChecksum(b, 0, 5)).toBe(internetChecksum(b, 2, 5, onesSum(b, 0, 2)));
  });

  it('a header with its checksum in place sums to 0xffff (checksum 0)', () => {
    // The golden eth_ipv4_udp IPv4 header, checksum f6bc included.
    const ip = hexToBytes('4500002c000100004011f6bcc0000201c0000202')!;
    expect(internetChecksum(ip, 0, 20)).toBe(0);
  });

  it('copyWithSum copies and sums like onesSum (whole array or a range, odd lengths)', () => {
    const src = Uint8Array.from({ length: 33 }, (_, i) => (i * 37) & 255);
    const dst = new Uint8Array(40);
    expect(copyWithSum(writerFor(dst), 3, src, 1, 32, 7)).toBe(onesSum(src, 1, 32, 7));
    expect(bytesToHex(dst.subarray(3, 34))).toBe(bytesToHex(src.subarray(1, 32)));
    const whole = new Uint8Array(34);
    expect(copyWithSum(writerFor(whole), 1, src, 0, 33)).toBe(onesSum(src, 0, 33));
    expect(bytesToHex(whole.subarray(1))).toBe(bytesToHex(src));
    expect(() => copyWithSum(writerFor(dst), 10, src, 0, 33)).toThrow(BufferTooSmallError);
  });

  it('onesSumOf (DataView) equals onesSum (bytes) at every alignment, in a subarray too', () => {
    const big = Uint8Array.from({ length: 64 }, (_, i) => (i * 101 + 7) & 255);
    const sub = big.subarray(3, 60);
    for (let a = 0; a < 5; a++) for (let b = a; b <= sub.length; b += 3) expect(onesSumOf(writerFor(sub), a, b, a)).toBe(onesSum(sub, a, b, a));
  });

  it('foldSum folds sums of any size exactly', () => {
    expect(foldSum(0x1fffe)).toBe(0xffff);
    expect(foldSum(0xffffffff)).toBe(0xffff);
    expect(foldSum(0x12345678)).toBe(0x5678 + 0x1234);
    // 2^40 + 5 ≡ 2^(40 mod 16)·… : fold by hand: 0x100_0000_0005 → 0x0100 + 0x0000 + 0x0005 = 0x0105
    expect(foldSum(2 ** 40 + 5)).toBe(0x0105);
  });
});
