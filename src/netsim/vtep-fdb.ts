/**
 * A VTEP's forwarding table for one VNI (RFC 7348 §4.1): inner MAC → outer IPv4 address of
 * the VTEP it was last seen behind. Entries are made and refreshed only by frames received from
 * the underlay, move when a MAC shows up behind another VTEP, and age out `agingNs` after the
 * last frame that refreshed them (the Linux vxlan device's `ageing`, default 300 s; like Linux
 * since 6.16 it ages from the last time the MAC was seen as a source, not from the last time a
 * frame was sent to it).
 *
 * The table is the switches' MacTable (one hash table for MAC learning), keyed by the MAC alone
 * (one table per VNI) and holding the index of the remote VTEP's address in a small list.
 * Times are nanoseconds, as in the engine.
 */
import { formatIpv4, formatMac } from '../bytes/addr.js';
import { MacTable } from './fdb.js';

/** What learning did with a received frame's source MAC. */
export const LEARN_NEW = 1;
export const LEARN_REFRESHED = 2;
export const LEARN_MOVED = 3;
export type LearnOutcome = typeof LEARN_NEW | typeof LEARN_REFRESHED | typeof LEARN_MOVED;

/** One row of the table as the JSON output shows it. */
export interface VtepFdbRow {
  mac: string;
  remote: string;
}

export class VtepFdb {
  private readonly table: MacTable;
  /** Remote VTEP addresses (unsigned 32-bit) by the index the table stores. */
  private readonly remotes: number[] = [];
  private readonly remoteIndex = new Map<number, number>();
  /** The remote a MAC had before the last LEARN_MOVED (for the comment that reports the move). */
  previousRemote = 0;

  constructor(readonly agingNs: number) {
    this.table = new MacTable(agingNs);
  }

  /** Entries stored (aged-out ones not yet removed included). */
  get size(): number {
    return this.table.size;
  }

  /** The remote learnt for the MAC at bytes[off, off+6) at time `now`, or -1 when unknown or aged out (then removed). */
  lookup(bytes: Uint8Array, off: number, now: number): number {
    const i = this.table.lookup(0, bytes, off, now);
    return i < 0 ? -1 : this.remotes[i]!;
  }

  /**
   * Learn the MAC at bytes[off, off+6) (the inner source of a frame received from the underlay)
   * behind `remote`; an entry that aged out is learnt anew.
   */
  learn(bytes: Uint8Array, off: number, remote: number, now: number): LearnOutcome {
    let r = this.remoteIndex.get(remote);
    if (r === undefined) {
      r = this.remotes.length;
      this.remotes.push(remote);
      this.remoteIndex.set(remote, r);
    }
    const before = this.table.lookup(0, bytes, off, now);
    this.table.learn(0, bytes, off, r, now);
    if (before < 0) return LEARN_NEW;
    if (before === r) return LEARN_REFRESHED;
    this.previousRemote = this.remotes[before]!;
    return LEARN_MOVED;
  }

  /** The live entries at `now`, sorted by MAC. */
  rows(now: number): VtepFdbRow[] {
    return this.table
      .entries(now)
      .map((e) => ({ mac: formatMac(e.mac), remote: formatIpv4(this.remotes[e.port]!) }))
      .sort((a, b) => (a.mac < b.mac ? -1 : a.mac > b.mac ? 1 : 0));
  }
}
