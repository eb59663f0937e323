/**
 * A VTEP's forwarding table for one VNI (RFC 7348 §4.1): inner MAC → outer IPv4 address of
 * the VTEP it was last seen behind. Entries are made and refreshed only by frames received from
 * the underlay, move when a MAC shows up behind another VTEP, and age out `agingTime` seconds
 * after the last frame that refreshed them (the Linux vxlan device's `ageing`, default 300 s;
 * like Linux since 6.16 it ages from the last time the MAC was seen as a source, not from the
 * last time a frame was sent to it).
 */
import { formatIpv4, formatMac } from '../bytes/addr.js';

/** A MAC as one exact number: the 48 bits of bytes[off, off+6), most significant first. */
export function macKey(bytes: Uint8Array, off: number): number {
  return ((bytes[off]! << 8) | bytes[off + 1]!) * 4294967296 + (((bytes[off + 2]! << 24) | (bytes[off + 3]! << 16) | (bytes[off + 4]! << 8) | bytes[off + 5]!) >>> 0);
}

/** The MAC text of a macKey. */
export function macText(key: number): string {
  const b = new Uint8Array(6);
  const hi = Math.floor(key / 4294967296);
  const lo = key >>> 0;
  b[0] = hi >>> 8;
  b[1] = hi;
  b[2] = lo >>> 24;
  b[3] = lo >>> 16;
  b[4] = lo >>> 8;
  b[5] = lo;
  return formatMac(b);
}

/** What learning did with a received frame's source MAC. */
export const LEARN_NEW = 1;
export const LEARN_REFRESHED = 2;
export const LEARN_MOVED = 3;
export type LearnOutcome = typeof LEARN_NEW | typeof LEARN_REFRESHED | typeof LEARN_MOVED;

export interface VtepFdbEntry {
  /** The outer (underlay) IPv4 address, unsigned 32-bit. */
  remote: number;
  /** Simulation time (seconds) of the last frame that refreshed the entry. */
  updated: number;
}

/** One row of the table as the JSON output shows it. */
export interface VtepFdbRow {
  mac: string;
  remote: string;
}

export class VtepFdb {
  private readonly entries = new Map<number, VtepFdbEntry>();
  /** The remote a MAC had before the last LEARN_MOVED (for the comment that reports the move). */
  previousRemote = 0;

  constructor(readonly agingTime: number) {}

  get size(): number {
    return this.entries.size;
  }

  /** The remote learnt for `mac` (a macKey), or -1 when unknown or aged out (then removed). */
  lookup(mac: number, now: number): number {
    const e = this.entries.get(mac);
    if (e === undefined) return -1;
    if (now - e.updated >= this.agingTime) {
      this.entries.delete(mac);
      return -1;
    }
    return e.remote;
  }

  /**
   * Learn `mac` (the inner source of a frame received from the underlay) behind `remote`; an
   * entry that aged out is learnt anew.
   */
  learn(mac: number, remote: number, now: number): LearnOutcome {
    const e = this.entries.get(mac);
    if (e === undefined || now - e.updated >= this.agingTime) {
      if (e === undefined) this.entries.set(mac, { remote, updated: now });
      else {
        e.remote = remote;
        e.updated = now;
      }
      return LEARN_NEW;
    }
    e.updated = now;
    if (e.remote === remote) return LEARN_REFRESHED;
    this.previousRemote = e.remote;
    e.remote = remote;
    return LEARN_MOVED;
  }

  /** Remove every entry that has aged out by `now`; returns the MACs removed (macKeys), in table order. */
  expire(now: number): number[] {
    const gone: number[] = [];
    for (const [mac, e] of this.entries) {
      if (now - e.updated >= this.agingTime) gone.push(mac);
    }
    for (const mac of gone) this.entries.delete(mac);
    return gone;
  }

  /** The live entries at `now`, sorted by MAC. */
  rows(now: number): VtepFdbRow[] {
    const keys = [...this.entries.keys()].filter((k) => now - this.entries.get(k)!.updated < this.agingTime).sort((a, b) => a - b);
    return keys.map((k) => ({ mac: macText(k), remote: formatIpv4(this.entries.get(k)!.remote) }));
  }
}
