/**
 * 64-bit virtual addresses. Tools hold them as bigint; the hot path holds them as two unsigned
 * 32-bit halves (vaHi, vaLo) so 57-bit LA57 addresses stay exact without BigInt.
 */

const U32 = 0xffffffffn;
const U64 = (1n << 64n) - 1n;

/** Bits 63:32 of va as an unsigned 32-bit number (negative bigints are taken as two's complement). */
export function vaHi(va: bigint): number {
  return Number((va >> 32n) & U32);
}

/** Bits 31:0 of va as an unsigned 32-bit number. */
export function vaLo(va: bigint): number {
  return Number(va & U32);
}

/** The unsigned 64-bit address whose halves are hi and lo. */
export function joinVa(hi: number, lo: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

/** Number of implemented linear-address bits: 48 with 4-level paging, 57 with LA57. */
export function vaBits(levels: number): number {
  return levels === 5 ? 57 : 48;
}

/**
 * Canonical (SDM 3A 4.5): bits 63:N-1 all equal, N = 48 or 57. Accepts the unsigned form
 * (0xffff8000_00000000n) or the signed one (-0x8000_00000000n); anything outside 64 bits is not.
 */
export function isCanonical(va: bigint, levels: number): boolean {
  if (va < -(1n << 63n) || va > U64) return false;
  const top = BigInt.asIntN(64, va) >> BigInt(vaBits(levels) - 1);
  return top === 0n || top === -1n;
}

/**
 * Hot-path form of isCanonical on the high half: with 4 levels bits 63:47 are vaHi bits 31:15,
 * with 5 levels bits 63:56 are vaHi bits 31:24; an arithmetic shift makes them 0 or -1.
 */
export function isCanonicalHi(hi: number, levels: number): boolean {
  const s = hi | 0;
  return (s >> (levels === 5 ? 24 : 15)) === s >> 31;
}

/** The canonical form of the low N bits of va (sign-extended from bit N-1), unsigned 64-bit. */
export function canonicalize(va: bigint, levels: number): bigint {
  const n = BigInt(vaBits(levels));
  return BigInt.asUintN(64, BigInt.asIntN(Number(n), va));
}

/** va as `0x…` (unsigned 64-bit, so upper-half addresses print sign-extended: 0xffff8000…). */
export function formatVa(va: bigint): string {
  return '0x' + BigInt.asUintN(64, va).toString(16);
}

/**
 * Index into the table at `level` (1 = PT … 5 = PML5): 9 bits of va starting at bit 3 + 9·level.
 * Level 3 (bits 38:30) straddles the two halves.
 */
export function tableIndex(hi: number, lo: number, level: number): number {
  switch (level) {
    case 1:
      return (lo >>> 12) & 511;
    case 2:
      return (lo >>> 21) & 511;
    case 3:
      return ((lo >>> 30) | (hi << 2)) & 511;
    case 4:
      return (hi >>> 7) & 511;
    default:
      return (hi >>> 16) & 511;
  }
}
