/**
 * ESP cipher suites (RFC 4303 §2–3): each transform described once — its IV length, the block
 * its payload + trailer is padded to, its key and ICV sizes — and the one place that calls the
 * cryptography (@noble/ciphers AES, @noble/hashes HMAC: audited, synchronous, browser-safe).
 *
 *   aes-gcm-128/256   RFC 4106: key = AES key ‖ 4-byte salt; nonce = salt ‖ 8-byte IV;
 *                     AAD = SPI ‖ sequence number; 16-byte ICV (the GCM tag); pad to 4.
 *   …-icv8, …-icv12   the same with the tag cut to its first 8 or 12 bytes (RFC 4106 §6,
 *                     NIST SP 800-38D §5.2.1.2).
 *   aes-cbc-128/256   RFC 3602: 16-byte IV; pad to 16; an HMAC (RFC 4868 / RFC 2404) over
 *                     SPI ‖ seq ‖ IV ‖ ciphertext, cut to 16 / 12 bytes, or no ICV.
 *   null              RFC 2410: no IV, payload in clear; pad to 4; HMAC or no ICV.
 *
 * With extended sequence numbers (RFC 4303 §2.2.1) the high-order 32 bits (`seqHi`) are not
 * sent but are authenticated: GCM's AAD is SPI ‖ seqHi ‖ seq (RFC 4106 §5), and an HMAC is taken
 * over the packet followed by seqHi (RFC 4303 §3.3.2.1). `seqHi` undefined = no ESN.
 */
import { cbc, ctr, ecb, gcm } from '@noble/ciphers/aes.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { sha1 } from '@noble/hashes/legacy.js';

export const ESP_CIPHERS = ['aes-gcm-128', 'aes-gcm-256', 'aes-gcm-128-icv12', 'aes-gcm-256-icv12', 'aes-gcm-128-icv8', 'aes-gcm-256-icv8', 'aes-cbc-128', 'aes-cbc-256', 'null'] as const;
export type EspCipher = (typeof ESP_CIPHERS)[number];
export const ESP_AUTHS = ['none', 'hmac-sha256-128', 'hmac-sha1-96'] as const;
export type EspAuth = (typeof ESP_AUTHS)[number];

export interface CipherSuite {
  readonly name: EspCipher;
  readonly mode: 'gcm' | 'cbc' | 'null';
  /** Bytes of `key` (the AES key, plus the 4-byte salt for GCM; 0 for null). */
  readonly keyLength: number;
  /** Bytes of the IV that follows the sequence number on the wire. */
  readonly ivLength: number;
  /** Payload + padding + pad length + next header is a multiple of this (RFC 4303 §2.4). */
  readonly align: number;
  /** ICV bytes the cipher itself produces (GCM's tag); 0 when an `auth` algorithm supplies it. */
  readonly icvLength: number;
}

export const CIPHER_SUITES: Readonly<Record<EspCipher, CipherSuite>> = {
  'aes-gcm-128': { name: 'aes-gcm-128', mode: 'gcm', keyLength: 16 + 4, ivLength: 8, align: 4, icvLength: 16 },
  'aes-gcm-256': { name: 'aes-gcm-256', mode: 'gcm', keyLength: 32 + 4, ivLength: 8, align: 4, icvLength: 16 },
  'aes-gcm-128-icv12': { name: 'aes-gcm-128-icv12', mode: 'gcm', keyLength: 16 + 4, ivLength: 8, align: 4, icvLength: 12 },
  'aes-gcm-256-icv12': { name: 'aes-gcm-256-icv12', mode: 'gcm', keyLength: 32 + 4, ivLength: 8, align: 4, icvLength: 12 },
  'aes-gcm-128-icv8': { name: 'aes-gcm-128-icv8', mode: 'gcm', keyLength: 16 + 4, ivLength: 8, align: 4, icvLength: 8 },
  'aes-gcm-256-icv8': { name: 'aes-gcm-256-icv8', mode: 'gcm', keyLength: 32 + 4, ivLength: 8, align: 4, icvLength: 8 },
  'aes-cbc-128': { name: 'aes-cbc-128', mode: 'cbc', keyLength: 16, ivLength: 16, align: 16, icvLength: 0 },
  'aes-cbc-256': { name: 'aes-cbc-256', mode: 'cbc', keyLength: 32, ivLength: 16, align: 16, icvLength: 0 },
  null: { name: 'null', mode: 'null', keyLength: 0, ivLength: 0, align: 4, icvLength: 0 },
};

export interface AuthSuite {
  readonly name: EspAuth;
  /** Bytes of the truncated HMAC appended as the ICV. */
  readonly icvLength: number;
  readonly hash: typeof sha256 | typeof sha1 | undefined;
}

export const AUTH_SUITES: Readonly<Record<EspAuth, AuthSuite>> = {
  none: { name: 'none', icvLength: 0, hash: undefined },
  'hmac-sha256-128': { name: 'hmac-sha256-128', icvLength: 16, hash: sha256 },
  'hmac-sha1-96': { name: 'hmac-sha1-96', icvLength: 12, hash: sha1 },
};

/** The cryptographic state of one SA: what seal/open need, keys already split. */
export interface EspKeys {
  readonly cipher: CipherSuite;
  readonly auth: AuthSuite;
  /** AES key (GCM: without the salt). */
  readonly aesKey: Uint8Array;
  /** GCM: the 4-byte salt, the nonce's first bytes. */
  readonly salt: Uint8Array;
  readonly authKey: Uint8Array;
  /** ICV bytes on the wire: the GCM tag or the truncated HMAC. */
  readonly icvLength: number;
}

export function espKeys(cipher: CipherSuite, key: Uint8Array, auth: AuthSuite, authKey: Uint8Array): EspKeys {
  const aesLength = cipher.mode === 'gcm' ? key.length - 4 : key.length;
  return {
    cipher,
    auth,
    aesKey: key.subarray(0, aesLength),
    salt: cipher.mode === 'gcm' ? key.slice(aesLength) : new Uint8Array(0),
    authKey,
    icvLength: cipher.icvLength + auth.icvLength,
  };
}

/** Length of the padding that makes `payloadLength` + pad + 2 a multiple of `align` (minimal). */
export function minimalPadLength(payloadLength: number, align: number): number {
  return (align - ((payloadLength + 2) % align)) % align;
}

/**
 * The IV derived for a sequence number when none is given (never repeated within an SA):
 * GCM — the sequence number as a 64-bit big-endian integer (RFC 4106 §3.1 asks only for
 * uniqueness, and a counter is what implementations use); CBC — AES under the SA's key of
 * SPI ‖ 0000 ‖ seq (64-bit), the encrypted-counter IV of NIST SP 800-38A appendix C, which is
 * unpredictable as RFC 3602 §3 requires; null — no IV. The 64-bit sequence number is
 * seqHi ‖ seq: seqHi is the ESN's high-order half, 0 without ESN.
 */
export function deriveIv(keys: EspKeys, spi: number, seqHi: number, seq: number, out: Uint8Array, at: number): void {
  const mode = keys.cipher.mode;
  if (mode === 'null') return;
  if (mode === 'gcm') {
    putBe32(out, at, seqHi);
    putBe32(out, at + 4, seq);
    return;
  }
  const block = IV_BLOCK;
  putBe32(block, 0, spi);
  putBe32(block, 4, 0);
  putBe32(block, 8, seqHi);
  putBe32(block, 12, seq);
  out.set(ecb(keys.aesKey, { disablePadding: true }).encrypt(block), at);
}

/** The CBC IV's plaintext block, reused (filled whole before each use). */
const IV_BLOCK = new Uint8Array(16);

function putBe32(b: Uint8Array, at: number, n: number): void {
  b[at] = n >>> 24;
  b[at + 1] = n >>> 16;
  b[at + 2] = n >>> 8;
  b[at + 3] = n;
}

function gcmNonce(keys: EspKeys, buf: Uint8Array, ivAt: number): Uint8Array {
  const nonce = new Uint8Array(12);
  nonce.set(keys.salt, 0);
  nonce.set(buf.subarray(ivAt, ivAt + 8), 4);
  return nonce;
}

/** The HMAC over buf[start, end), followed by the ESN's high-order 32 bits when given. */
function hmacInto(keys: EspKeys, buf: Uint8Array, start: number, end: number, seqHi: number | undefined): Uint8Array {
  if (seqHi === undefined) return hmac(keys.auth.hash!, keys.authKey, buf.subarray(start, end));
  return hmac.create(keys.auth.hash!, keys.authKey).update(buf.subarray(start, end)).update(be32(seqHi)).digest();
}

function be32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  putBe32(b, 0, n);
  return b;
}

/** GCM's AAD: SPI ‖ sequence number as sent, or SPI ‖ seqHi ‖ seq with ESN (RFC 4106 §5). */
function gcmAad(buf: Uint8Array, espAt: number, seqHi: number | undefined): Uint8Array {
  if (seqHi === undefined) return buf.subarray(espAt, espAt + 8);
  const aad = new Uint8Array(12);
  aad.set(buf.subarray(espAt, espAt + 4), 0);
  putBe32(aad, 4, seqHi);
  aad.set(buf.subarray(espAt + 4, espAt + 8), 8);
  return aad;
}

/**
 * Encrypt and authenticate one ESP packet in place. `buf[espAt, espAt + 8)` holds SPI and
 * sequence number, then the IV, then the plaintext (payload, padding, pad length, next header)
 * up to `icvAt`; the ciphertext replaces the plaintext and the ICV is written at `icvAt`.
 */
export function sealEsp(keys: EspKeys, buf: Uint8Array, espAt: number, icvAt: number, seqHi?: number): void {
  const ivAt = espAt + 8;
  const dataAt = ivAt + keys.cipher.ivLength;
  const plain = buf.subarray(dataAt, icvAt);
  switch (keys.cipher.mode) {
    case 'gcm': {
      const sealed = gcm(keys.aesKey, gcmNonce(keys, buf, ivAt), gcmAad(buf, espAt, seqHi)).encrypt(plain);
      // Ciphertext then the tag (its first icvLength bytes), exactly at icvAt.
      buf.set(sealed.subarray(0, plain.length + keys.cipher.icvLength), dataAt);
      break;
    }
    case 'cbc':
      // noble writes into a caller's output only when it is 4-byte aligned: copy instead.
      buf.set(cbc(keys.aesKey, buf.slice(ivAt, dataAt), { disablePadding: true }).encrypt(plain), dataAt);
      break;
    case 'null':
      break;
  }
  if (keys.auth.hash) {
    const mac = hmacInto(keys, buf, espAt, icvAt, seqHi);
    buf.set(mac.subarray(0, keys.auth.icvLength), icvAt);
  }
}

/**
 * Check the ICV and decrypt one ESP packet laid out as sealEsp writes it (`end` = the end of
 * the ICV). Returns the plaintext (payload ‖ padding ‖ pad length ‖ next header) as a new
 * array, or a string saying why not (too short, not whole blocks, the ICV does not match).
 * The input bytes are not changed.
 */
export function openEsp(keys: EspKeys, buf: Uint8Array, espAt: number, end: number, seqHi?: number): Uint8Array | string {
  const ivAt = espAt + 8;
  const dataAt = ivAt + keys.cipher.ivLength;
  const icvAt = end - keys.icvLength;
  const cipherLength = icvAt - dataAt;
  if (cipherLength < 2) return `needs at least ${dataAt + 2 + keys.icvLength - espAt} bytes for ${keys.cipher.name}${keys.auth.hash ? '+' + keys.auth.name : ''}, ${end - espAt} present`;
  if (keys.cipher.mode === 'cbc' && cipherLength % 16 !== 0) return `ciphertext of ${cipherLength} bytes is not a whole number of 16-byte blocks`;
  if (keys.auth.hash) {
    const mac = hmacInto(keys, buf, espAt, icvAt, seqHi);
    let diff = 0;
    for (let k = 0; k < keys.auth.icvLength; k++) diff |= mac[k]! ^ buf[icvAt + k]!;
    if (diff !== 0) return `ICV check failed (${keys.auth.name})`;
  }
  switch (keys.cipher.mode) {
    case 'gcm': {
      const nonce = gcmNonce(keys, buf, ivAt);
      const aad = gcmAad(buf, espAt, seqHi);
      if (keys.cipher.icvLength === 16) {
        try {
          return gcm(keys.aesKey, nonce, aad).decrypt(buf.subarray(dataAt, end));
        } catch {
          return 'ICV check failed (AES-GCM tag)';
        }
      }
      // A cut tag cannot go to GCM's decrypt, which checks all 16 bytes. GCM encrypts with AES
      // in counter mode from nonce ‖ 2 (nonce ‖ 1 masks the tag): decrypt so, then seal the
      // plaintext again and compare the first icvLength bytes of the tag it gets.
      const counter = new Uint8Array(16);
      counter.set(nonce);
      counter[15] = 2;
      const plain = ctr(keys.aesKey, counter).decrypt(buf.subarray(dataAt, icvAt));
      const tag = gcm(keys.aesKey, nonce, aad).encrypt(plain).subarray(plain.length);
      let diff = 0;
      for (let k = 0; k < keys.cipher.icvLength; k++) diff |= tag[k]! ^ buf[icvAt + k]!;
      return diff === 0 ? plain : `ICV check failed (AES-GCM tag, ${keys.cipher.icvLength} bytes)`;
    }
    case 'cbc':
      return cbc(keys.aesKey, buf.slice(ivAt, dataAt), { disablePadding: true }).decrypt(buf.subarray(dataAt, icvAt));
    case 'null':
      return buf.slice(dataAt, icvAt);
  }
}
