// Re-exports only: the memory half of virtkit's browser-safe core.
export * from './phys.js';
export * from './va.js';
export * from './pte.js';
export * from './walker.js';
export * from './builder.js';
export * from './paging/index.js';
export * from './virt/index.js';
export * from './tlb.js';
export * from './mmu.js';
export * from './tlb-presets.js';
export * from './tlb-switch.js';
export { PAGE_SIZES, pageSizeOfLevel, pageSizeOfBytes, KIND_LEAF, KIND_ALL, fieldExists, fieldBits, readField, type BitField, type PageSizeInfo } from './format.js';
export * from './radix.js';
