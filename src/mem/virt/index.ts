// Re-exports only: memory virtualization (EPT, the 2D walk, shadow paging, the comparison).
export * from './ept.js';
export * from './nested.js';
export * from './vm.js';
export * from './shadow.js';
export * from './compare.js';
