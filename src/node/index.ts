// Re-exports only: virtkit's Node layer (files and processes), `virtkit/node`.
//  - safe-output: write a command's output file without ever losing the user's data
//    (temporary file + rename, devices and FIFOs written straight, `-` = stdout, output ≠ input);
//  - capture-file / build: capture files streamed to and from disk;
//  - spec-file: packet specs (JSON, JSON Lines) and line-oriented text files read in pieces.
export * from './file-error.js';
export * from './safe-output.js';
export { CaptureFileWriter, readCaptureFile, type CaptureFileOptions } from './capture-file.js';
export * from './build.js';
export * from './spec-file.js';
