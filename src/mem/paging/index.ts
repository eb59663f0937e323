// Re-exports only: demand paging (issue #8) — traces, replacement policies, the trace simulator,
// fault-curve charts, the swap device and the page-fault handler on the real MMU.
export * from './trace.js';
export * from './policy.js';
export * from './sim.js';
export * from './chart.js';
export * from './swap.js';
export * from './pager.js';
export * from './system.js';
