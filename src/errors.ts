/**
 * Typed errors. Every failure virtkit reports is one of these, carrying what failed and where,
 * so callers (and the CLI, which turns them into one-line messages and exit status 2) never
 * have to parse a message or see a RangeError from a DataView.
 */
export class VirtkitError extends Error {
  override name = 'VirtkitError';
}

/** Bytes that do not decode: the layer being decoded, the byte offset in the frame, and why. */
export class DecodeError extends VirtkitError {
  override name = 'DecodeError';
  constructor(
    readonly layer: string,
    readonly offset: number,
    readonly reason: string,
  ) {
    super(`${layer} at byte ${offset}: ${reason}`);
  }
}

/** A layer list that cannot be encoded: layer index, kind and field, as layers.md asks. */
export class EncodeError extends VirtkitError {
  override name = 'EncodeError';
  constructor(
    readonly index: number,
    readonly kind: string,
    readonly field: string,
    readonly reason: string,
  ) {
    super(`layer ${index} (${kind}): ${field ? field + ' ' : ''}${reason}`);
  }
}

/** Bad command-line or input-file usage: the CLI prints the message on one line and exits 2. */
export class UsageError extends VirtkitError {
  override name = 'UsageError';
}

/** A translation-engine call with bad arguments (batch sizes, access kinds): the call and why. */
export class MmuError extends VirtkitError {
  override name = 'MmuError';
  constructor(
    readonly call: string,
    readonly reason: string,
  ) {
    super(`${call}: ${reason}`);
  }
}
