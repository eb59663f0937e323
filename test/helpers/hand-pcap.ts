/**
 * A classic pcap (big-endian magic a1b2c3d4, microseconds, LINKTYPE_ETHERNET) laid out by hand,
 * frame i at i + 1 seconds: what the tshark cross-checks feed tshark, kept independent of
 * virtkit's own capture writer so that a writer bug cannot hide a codec bug.
 */
export function handPcap(frames: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(24 + frames.reduce((n, f) => n + 16 + f.length, 0));
  const dv = new DataView(out.buffer);
  dv.setUint32(0, 0xa1b2c3d4);
  dv.setUint16(4, 2);
  dv.setUint16(6, 4);
  dv.setUint32(16, 65535);
  dv.setUint32(20, 1);
  let o = 24;
  frames.forEach((f, i) => {
    dv.setUint32(o, i + 1);
    dv.setUint32(o + 8, f.length);
    dv.setUint32(o + 12, f.length);
    out.set(f, o + 16);
    o += 16 + f.length;
  });
  return out;
}
