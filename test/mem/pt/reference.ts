/**
 * A slow, deliberately plain page walker written straight from Intel SDM Vol. 3A ch. 4, used only
 * to check the fast one. It works on 64-bit bigints, spells every rule out case by case in the
 * SDM's own terms, and shares no code with src/mem (not even bit constants).
 */

export type RefAccess = 'r' | 'w' | 'x';

export interface RefConfig {
  levels: 4 | 5;
  maxPhyAddr: number;
  nxe: boolean;
  wp: boolean;
  smep: boolean;
  smap: boolean;
  ac: boolean;
}

export interface RefResult {
  status: 'ok' | 'pf' | 'gp';
  pa?: bigint;
  pageSize?: bigint;
  errorCode?: number;
  /** Physical addresses of the entries read, in order. */
  refs: bigint[];
  /** For 'ok': the entries (address, value) whose A bit the CPU sets, and the leaf for D. */
  leafAddr?: bigint;
}

const bit = (v: bigint, n: number): boolean => ((v >> BigInt(n)) & 1n) === 1n;

/** Any of bits hi..lo (inclusive) set? */
function anyBits(v: bigint, hi: number, lo: number): boolean {
  for (let b = lo; b <= hi; b++) if (bit(v, b)) return true;
  return false;
}

/** Bits hi..lo of v, in place. */
function bitsInPlace(v: bigint, hi: number, lo: number): bigint {
  let out = 0n;
  for (let b = lo; b <= hi; b++) if (bit(v, b)) out |= 1n << BigInt(b);
  return out;
}

export function refWalk(read: (pa: bigint) => bigint, cr3: bigint, vaIn: bigint, access: RefAccess, user: boolean, cfg: RefConfig): RefResult {
  const va = BigInt.asUintN(64, vaIn);
  const width = cfg.levels === 5 ? 57 : 48;
  // 4.5.1 / 3.3.7.1: canonical means bits 63 through width-1 are all equal.
  let ones = 0;
  for (let b = width - 1; b <= 63; b++) if (bit(va, b)) ones++;
  const canonical = ones === 0 || ones === 64 - (width - 1);
  if (!canonical) return { status: 'gp', refs: [] };

  const refs: bigint[] = [];
  let tableBase = bitsInPlace(cr3, 51, 12);
  let allWritable = true;
  let allUser = true;
  let anyXd = false;
  const fault = (present: boolean, rsvd: boolean): RefResult => {
    let code = 0;
    if (present) code |= 1; // P: 0 = non-present page, 1 = protection violation or reserved bit
    if (access === 'w') code |= 2; // W/R
    if (user) code |= 4; // U/S
    if (rsvd) code |= 8; // RSVD
    if (access === 'x' && (cfg.nxe || cfg.smep)) code |= 16; // I/D
    return { status: 'pf', errorCode: code, refs };
  };

  for (let level: number = cfg.levels; level >= 1; level--) {
    const shift = 12 + 9 * (level - 1);
    const index = (va >> BigInt(shift)) & 511n;
    const addr = tableBase + index * 8n;
    refs.push(addr);
    const e = read(addr);
    if (!bit(e, 0)) return fault(false, false);
    // Reserved bits (4.5.4, tables 4-15 .. 4-20).
    let reserved = false;
    if (cfg.maxPhyAddr < 52 && anyBits(e, 51, cfg.maxPhyAddr)) reserved = true;
    if (!cfg.nxe && bit(e, 63)) reserved = true;
    if ((level === 5 || level === 4) && bit(e, 7)) reserved = true;
    if (level === 3 && bit(e, 7) && anyBits(e, 29, 13)) reserved = true;
    if (level === 2 && bit(e, 7) && anyBits(e, 20, 13)) reserved = true;
    if (reserved) return fault(true, true);
    if (!bit(e, 1)) allWritable = false;
    if (!bit(e, 2)) allUser = false;
    if (bit(e, 63)) anyXd = true;
    const isLeaf = level === 1 || ((level === 2 || level === 3) && bit(e, 7));
    if (isLeaf) {
      const pageSize = 1n << BigInt(shift);
      const pageBase = bitsInPlace(e, 51, shift);
      // 4.6.1: decide whether the access is allowed.
      let allowed: boolean;
      if (user) {
        if (access === 'r') allowed = allUser;
        else if (access === 'w') allowed = allUser && allWritable;
        else allowed = allUser && !(cfg.nxe && anyXd);
      } else if (access === 'r') {
        if (!allUser) allowed = true;
        else allowed = !(cfg.smap && !cfg.ac);
      } else if (access === 'w') {
        let smapBlocks = false;
        if (allUser && cfg.smap && !cfg.ac) smapBlocks = true;
        if (smapBlocks) allowed = false;
        else if (!cfg.wp) allowed = true;
        else allowed = allWritable;
      } else {
        if (cfg.nxe && anyXd) allowed = false;
        else if (allUser && cfg.smep) allowed = false;
        else allowed = true;
      }
      if (!allowed) return fault(true, false);
      return { status: 'ok', pa: pageBase + (va & (pageSize - 1n)), pageSize, refs, leafAddr: addr };
    }
    tableBase = bitsInPlace(e, 51, 12);
  }
  throw new Error('unreachable: level 1 is always a leaf');
}
