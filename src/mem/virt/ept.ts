// Re-exports only: EPT's format (entries, EPTP, misconfigurations, exit qualifications), walker and builder.
export * from './ept-format.js';
export * from './ept-walker.js';
export * from './ept-builder.js';
