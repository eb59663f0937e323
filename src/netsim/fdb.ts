/**
 * A switch's MAC learning table (forwarding database): (VLAN, MAC) → port, with the time each
 * entry was last refreshed. An entry learnt at time t serves until t + agingTime (Open vSwitch:
 * an entry expires when now ≥ its expiry time); an expired entry is gone, so the next frame to
 * that MAC floods again.
 *
 * The forwarding decision is a hash lookup: open addressing with linear probing over typed
 * arrays, keyed by two 32-bit words (VLAN and the first two MAC bytes | the last four), so a
 * lookup or an update allocates nothing.
 */
export class MacTable {
  private hi: Int32Array;
  private lo: Int32Array;
  /** Port index + 1; 0 = empty slot. */
  private port: Int32Array;
  private seen: Float64Array;
  private mask: number;
  private used = 0;

  constructor(
    /** Nanoseconds an entry lives without being refreshed. */
    readonly agingNs: number,
    capacity = 1024,
    /**
     * Most entries held (OVS other_config:mac-table-size, default 8192). A new MAC in a full
     * table first sweeps the expired entries out, then evicts as OVS does: from the port with
     * the most entries, the one least recently seen.
     */
    readonly maxEntries = Infinity,
  ) {
    let n = 16;
    while (n < capacity * 2) n *= 2;
    this.hi = new Int32Array(n);
    this.lo = new Int32Array(n);
    this.port = new Int32Array(n);
    this.seen = new Float64Array(n);
    this.mask = n - 1;
  }

  /** Entries stored (expired ones not yet swept included). */
  get size(): number {
    return this.used;
  }

  /**
   * The port learnt for (vlan, the MAC at bytes[off, off+6)) at time `now`, or -1. An expired
   * entry is removed on the way.
   */
  lookup(vlan: number, bytes: Uint8Array, off: number, now: number): number {
    const hi = (vlan << 16) | (bytes[off]! << 8) | bytes[off + 1]!;
    const lo = (bytes[off + 2]! << 24) | (bytes[off + 3]! << 16) | (bytes[off + 4]! << 8) | bytes[off + 5]!;
    const i = this.find(hi, lo);
    if (i < 0) return -1;
    if (now >= this.seen[i]! + this.agingNs) {
      this.remove(i);
      return -1;
    }
    return this.port[i]! - 1;
  }

  /** Learn (or refresh, or move) (vlan, MAC at bytes[off, off+6)) on `port` at time `now`. */
  learn(vlan: number, bytes: Uint8Array, off: number, port: number, now: number): void {
    const hi = (vlan << 16) | (bytes[off]! << 8) | bytes[off + 1]!;
    const lo = (bytes[off + 2]! << 24) | (bytes[off + 3]! << 16) | (bytes[off + 4]! << 8) | bytes[off + 5]!;
    let i = this.find(hi, lo);
    if (i < 0) {
      if (this.used >= this.maxEntries) {
        this.sweep(now);
        if (this.used >= this.maxEntries) this.evictFairly();
      }
      if ((this.used + 1) * 2 > this.port.length) {
        // Expired entries nobody looked up again would stay for ever: drop them before growing.
        this.sweep(now);
        if ((this.used + 1) * 2 > this.port.length) this.grow();
      }
      i = this.slot(hi, lo);
      this.hi[i] = hi;
      this.lo[i] = lo;
      this.used++;
    }
    this.port[i] = port + 1;
    this.seen[i] = now;
  }

  /** Every entry alive at `now`: VLAN, MAC bytes, port, age in ns. */
  entries(now: number): { vlan: number; mac: Uint8Array; port: number; age: number }[] {
    const out: { vlan: number; mac: Uint8Array; port: number; age: number }[] = [];
    for (let i = 0; i < this.port.length; i++) {
      if (this.port[i] === 0 || now >= this.seen[i]! + this.agingNs) continue;
      const hi = this.hi[i]!;
      const lo = this.lo[i]!;
      const mac = Uint8Array.of((hi >>> 8) & 255, hi & 255, lo >>> 24, (lo >>> 16) & 255, (lo >>> 8) & 255, lo & 255);
      out.push({ vlan: hi >>> 16, mac, port: this.port[i]! - 1, age: now - this.seen[i]! });
    }
    return out;
  }

  /** Remove every entry expired at `now`. */
  sweep(now: number): void {
    for (let i = 0; i < this.port.length; ) {
      // remove() may shift a later entry into slot i: look at slot i again then.
      if (this.port[i] !== 0 && now >= this.seen[i]! + this.agingNs) this.remove(i);
      else i++;
    }
  }

  /** OVS's evict_mac_entry_fairly: the least recently seen entry of the port holding the most. */
  private evictFairly(): void {
    const counts = new Map<number, number>();
    for (let i = 0; i < this.port.length; i++) {
      const p = this.port[i]!;
      if (p !== 0) counts.set(p, (counts.get(p) ?? 0) + 1);
    }
    let worst = 0;
    let most = 0;
    for (const [p, n] of counts) if (n > most || (n === most && p < worst)) [worst, most] = [p, n];
    let victim = -1;
    for (let i = 0; i < this.port.length; i++) if (this.port[i] === worst && (victim < 0 || this.seen[i]! < this.seen[victim]!)) victim = i;
    if (victim >= 0) this.remove(victim);
  }

  /** Forget everything (ovs-appctl fdb/flush). */
  clear(): void {
    this.port.fill(0);
    this.used = 0;
  }

  private hash(hi: number, lo: number): number {
    let h = Math.imul(hi ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(lo, 0xc2b2ae35);
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    h ^= h >>> 13;
    return h & this.mask;
  }

  /** Slot holding the key, or -1. */
  private find(hi: number, lo: number): number {
    const m = this.mask;
    for (let i = this.hash(hi, lo); ; i = (i + 1) & m) {
      if (this.port[i] === 0) return -1;
      if (this.hi[i] === hi && this.lo[i] === lo) return i;
    }
  }

  /** The empty slot where the key goes. */
  private slot(hi: number, lo: number): number {
    const m = this.mask;
    let i = this.hash(hi, lo);
    while (this.port[i] !== 0) i = (i + 1) & m;
    return i;
  }

  /** Remove slot i, shifting back later entries of its probe run so lookups stay exact. */
  private remove(i: number): void {
    const m = this.mask;
    this.port[i] = 0;
    this.used--;
    let hole = i;
    for (let j = (i + 1) & m; this.port[j] !== 0; j = (j + 1) & m) {
      const home = this.hash(this.hi[j]!, this.lo[j]!);
      // Move j into the hole when its home is not in (hole, j] (cyclically).
      const inRange = hole <= j ? home > hole && home <= j : home > hole || home <= j;
      if (inRange) continue;
      this.hi[hole] = this.hi[j]!;
      this.lo[hole] = this.lo[j]!;
      this.port[hole] = this.port[j]!;
      this.seen[hole] = this.seen[j]!;
      this.port[j] = 0;
      hole = j;
    }
  }

  private grow(): void {
    const { hi, lo, port, seen } = this;
    const n = port.length * 2;
    this.hi = new Int32Array(n);
    this.lo = new Int32Array(n);
    this.port = new Int32Array(n);
    this.seen = new Float64Array(n);
    this.mask = n - 1;
    for (let i = 0; i < port.length; i++) {
      if (port[i] === 0) continue;
      const j = this.slot(hi[i]!, lo[i]!);
      this.hi[j] = hi[i]!;
      this.lo[j] = lo[i]!;
      this.port[j] = port[i]!;
      this.seen[j] = seen[i]!;
    }
  }
}
