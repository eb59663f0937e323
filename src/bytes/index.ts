// Re-exports only: byte-level helpers (checksum, hex, address text).
export * from './checksum.js';
export * from './hex.js';
export * from './addr.js';
export * from './view.js';
