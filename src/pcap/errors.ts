import { VirtkitError } from '../errors.js';

/**
 * A capture file that cannot be read or written as asked: bad magic, a block whose length
 * disagrees with its trailer, a record cut short. `offset` is the byte offset in the file of the
 * header, block or record at fault, so a user can look at it with a hex dump.
 */
export class CaptureError extends VirtkitError {
  override name = 'CaptureError';
  constructor(
    readonly offset: number,
    readonly reason: string,
  ) {
    super(`capture file at byte ${offset}: ${reason}`);
  }
  /** readCapture() puts here the packets read before the damage. */
  packets: unknown[] | undefined;
}

/** A spec (JSON packets for `build`) that is not shaped as layers.md says: which packet and why. */
export class SpecError extends VirtkitError {
  override name = 'SpecError';
  constructor(
    readonly packet: number,
    readonly reason: string,
    /** Where the packet came from, e.g. "spec.jsonl line 7" (JSON Lines). */
    readonly where?: string,
  ) {
    super(where === undefined ? `packet ${packet}: ${reason}` : `${where} (packet ${packet}): ${reason}`);
  }
}
