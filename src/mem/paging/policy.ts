/**
 * Page-replacement policies, defined exactly as issue #8 does so results are reproducible. One
 * implementation serves both the fast trace simulator (sim.ts) and the full system (pager.ts):
 * a policy sees only frame slots 0..frames-1, never pages or page tables.
 *
 * The protocol, identical in both users:
 * - While a free frame exists, the caller fills slots in ascending order 0, 1, 2, … and calls
 *   `loaded(slot, …)` for each; the policy is asked for no victim.
 * - Once every slot holds a page, a fault calls `victim()`, evicts that slot's page, loads the
 *   new page into the same slot and calls `loaded(slot, …)`.
 * - Every access that hits a resident page calls `accessed(slot, …)` (the faulting access itself
 *   is covered by `loaded`).
 * `time` is the access number (0-based); `nextUse` is the access number of the same page's next
 * access, or NEVER — only OPT reads it (its `needsFuture` says the caller must supply it).
 *
 * Per-operation cost: FIFO, LRU O(1); clock O(1) amortized (each bit the sweep clears was set by
 * an access); OPT O(log frames). No allocation after reset().
 */
import { VirtkitError } from '../../errors.js';

export const POLICY_NAMES = ['fifo', 'lru', 'clock', 'opt'] as const;
export type PolicyName = (typeof POLICY_NAMES)[number];

export class PolicyError extends VirtkitError {
  override name = 'PolicyError';
}

export interface ReplacementPolicy {
  readonly name: PolicyName;
  /** True when `nextUse` must be real (OPT); the others ignore it. */
  readonly needsFuture: boolean;
  /** Forget everything: `frames` slots, all free. */
  reset(frames: number): void;
  /** A page was just loaded into `slot` by the fault at access `time`. */
  loaded(slot: number, time: number, nextUse: number): void;
  /** The page in `slot` was accessed (a hit) at access `time`. */
  accessed(slot: number, time: number, nextUse: number): void;
  /** Memory is full: the slot whose page is to be evicted. loaded(slot) follows. */
  victim(): number;
}

/** fifo: evict the page loaded earliest. Slots are loaded in a ring, so a queue of slots. */
export class FifoPolicy implements ReplacementPolicy {
  readonly name = 'fifo';
  readonly needsFuture = false;
  private queue = new Int32Array(1);
  private head = 0;
  private count = 0;

  reset(frames: number): void {
    this.queue = new Int32Array(frames);
    this.head = 0;
    this.count = 0;
  }
  loaded(slot: number): void {
    const cap = this.queue.length;
    this.queue[(this.head + this.count) % cap] = slot;
    this.count++;
  }
  accessed(): void {}
  victim(): number {
    const slot = this.queue[this.head]!;
    this.head = (this.head + 1) % this.queue.length;
    this.count--;
    return slot;
  }
}

/**
 * lru: evict the page accessed least recently. A doubly linked list of slots in typed arrays,
 * least recent at the head, so both an access and a victim choice are O(1).
 */
export class LruPolicy implements ReplacementPolicy {
  readonly name = 'lru';
  readonly needsFuture = false;
  private prev = new Int32Array(1);
  private next = new Int32Array(1);
  private linked = new Uint8Array(1);
  private head = -1;
  private tail = -1;

  reset(frames: number): void {
    this.prev = new Int32Array(frames).fill(-1);
    this.next = new Int32Array(frames).fill(-1);
    this.linked = new Uint8Array(frames);
    this.head = -1;
    this.tail = -1;
  }
  private touch(slot: number): void {
    if (this.tail === slot) return;
    const prev = this.prev;
    const next = this.next;
    if (this.linked[slot] === 1) {
      // Unlink (slot is not the tail, so next[slot] exists).
      const p = prev[slot]!;
      const n = next[slot]!;
      if (p >= 0) next[p] = n;
      else this.head = n;
      prev[n] = p;
    } else {
      this.linked[slot] = 1;
    }
    prev[slot] = this.tail;
    next[slot] = -1;
    if (this.tail >= 0) next[this.tail] = slot;
    else this.head = slot;
    this.tail = slot;
  }
  loaded(slot: number): void {
    this.touch(slot);
  }
  accessed(slot: number): void {
    this.touch(slot);
  }
  victim(): number {
    // The victim is reloaded at once (loaded() moves it to the tail), so it stays linked.
    return this.head;
  }
}

/**
 * clock (second chance): the frames form a ring, each with a referenced bit set on every access
 * (as the hardware sets the A bit). On a fault with memory full the hand looks at its frame:
 * referenced → clear the bit and move on; not referenced → that frame is the victim, the new
 * page is loaded there with its bit set and the hand moves to the next frame.
 *
 * Where the hand starts: at frame 0. Free frames are filled in ring order 0, 1, …, and each load
 * leaves the hand on the frame after the one loaded, exactly as a load after an eviction does;
 * so when memory becomes full the hand is back at frame 0, pointing at the oldest load.
 */
export class ClockPolicy implements ReplacementPolicy {
  readonly name = 'clock';
  readonly needsFuture = false;
  private referenced = new Uint8Array(1);
  private hand = 0;

  reset(frames: number): void {
    this.referenced = new Uint8Array(frames);
    this.hand = 0;
  }
  loaded(slot: number): void {
    this.referenced[slot] = 1;
    this.hand = slot + 1 === this.referenced.length ? 0 : slot + 1;
  }
  accessed(slot: number): void {
    this.referenced[slot] = 1;
  }
  victim(): number {
    const ref = this.referenced;
    const frames = ref.length;
    let hand = this.hand;
    // At most one full turn clears every bit, so the second turn finds a victim.
    while (ref[hand] === 1) {
      ref[hand] = 0;
      hand = hand + 1 === frames ? 0 : hand + 1;
    }
    this.hand = hand;
    return hand;
  }
}

/**
 * opt (Belady's MIN): evict the page whose next use lies farthest in the future. Pages never
 * used again (nextUse = NEVER) tie; the tie goes to the one loaded earliest. Two resident pages
 * can never share a finite next use (one access touches one page), so no other tie exists.
 *
 * The slots sit in an indexed binary max-heap on (nextUse, then earlier load first), so the
 * victim is the root and an access re-keys its slot in O(log frames).
 */
export class OptPolicy implements ReplacementPolicy {
  readonly name = 'opt';
  readonly needsFuture = true;
  private nextUse = new Int32Array(1);
  private loadTime = new Float64Array(1);
  /** heap[i] = slot; pos[slot] = its index in heap, or -1. */
  private heap = new Int32Array(1);
  private pos = new Int32Array(1);
  private size = 0;

  reset(frames: number): void {
    this.nextUse = new Int32Array(frames);
    this.loadTime = new Float64Array(frames);
    this.heap = new Int32Array(frames);
    this.pos = new Int32Array(frames).fill(-1);
    this.size = 0;
  }

  /** True when slot a should be evicted before slot b. */
  private before(a: number, b: number): boolean {
    const na = this.nextUse[a]!;
    const nb = this.nextUse[b]!;
    return na > nb || (na === nb && this.loadTime[a]! < this.loadTime[b]!);
  }

  private siftUp(i: number): void {
    const heap = this.heap;
    const pos = this.pos;
    const slot = heap[i]!;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const ps = heap[parent]!;
      if (!this.before(slot, ps)) break;
      heap[i] = ps;
      pos[ps] = i;
      i = parent;
    }
    heap[i] = slot;
    pos[slot] = i;
  }

  private siftDown(i: number): void {
    const heap = this.heap;
    const pos = this.pos;
    const n = this.size;
    const slot = heap[i]!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && this.before(heap[r]!, heap[l]!) ? r : l;
      const cs = heap[c]!;
      if (!this.before(cs, slot)) break;
      heap[i] = cs;
      pos[cs] = i;
      i = c;
    }
    heap[i] = slot;
    pos[slot] = i;
  }

  private rekey(slot: number): void {
    let i = this.pos[slot]!;
    if (i < 0) {
      i = this.size++;
      this.heap[i] = slot;
      this.pos[slot] = i;
    }
    this.siftUp(i);
    this.siftDown(this.pos[slot]!);
  }

  loaded(slot: number, time: number, nextUse: number): void {
    this.nextUse[slot] = nextUse;
    this.loadTime[slot] = time;
    this.rekey(slot);
  }
  accessed(slot: number, _time: number, nextUse: number): void {
    this.nextUse[slot] = nextUse;
    this.rekey(slot);
  }
  victim(): number {
    // The root; it stays in the heap and loaded() re-keys it for the page that replaces it.
    return this.heap[0]!;
  }
}

export function isPolicyName(name: string): name is PolicyName {
  return (POLICY_NAMES as readonly string[]).includes(name);
}

/** A fresh policy object by name (PolicyError for an unknown name). */
export function createPolicy(name: string): ReplacementPolicy {
  switch (name) {
    case 'fifo':
      return new FifoPolicy();
    case 'lru':
      return new LruPolicy();
    case 'clock':
      return new ClockPolicy();
    case 'opt':
      return new OptPolicy();
    default:
      throw new PolicyError(`unknown replacement policy '${name}' (valid: ${POLICY_NAMES.join(', ')})`);
  }
}
