// binary-parser 2.3 ships types for its CommonJS build only; its ESM entry (the one NodeNext
// resolves for `import`) has none. Point the ESM import at the same declarations.
declare module 'binary-parser' {
  export { Parser } from 'binary-parser/dist/binary_parser.js';
}
