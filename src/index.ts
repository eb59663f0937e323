// Re-exports only: the public surface of virtkit's browser-safe core.
export * from './errors.js';
export * from './mem/index.js';
export * from './net/index.js';
export * from './net/overhead-mtu.js';
export * from './pcap/index.js';
export * from './netsim/index.js';
