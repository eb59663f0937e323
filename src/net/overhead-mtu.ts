// Re-exports only: encapsulation overhead, IPv4/IPv6 fragmentation and the MTU scenario.
export * from './overhead.js';
export * from './fragment.js';
export * from './mtu-scenario.js';
