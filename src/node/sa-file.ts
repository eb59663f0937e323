/**
 * Security-association files for `build`/`decode --sa FILE` (a JSON list, or Wireshark's
 * esp_sa table) and `build --write-esp-sa FILE`, written to a temporary file and renamed, so a
 * failure never leaves a user's file half written.
 */
import { readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { formatEspSaFile, parseSaText, type SaTable, type SecurityAssociation } from '../net/esp/sa.js';
import { fileError } from './capture-file.js';

/** The SAs of a file (JSON list, `{"sa": [...]}`, or an esp_sa table); errors name the file (and line). */
export function readSaFile(path: string): SecurityAssociation[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw fileError(path, e);
  }
  return parseSaText(text, path);
}

/** Add the SAs of `path` to `table`. */
export function addSaFile(table: SaTable, path: string): void {
  readSaFile(path).forEach((sa, i) => table.add(sa, `${path}: SA ${i + 1}`));
}

/** Write text to `path` through a temporary file in the same folder, renamed into place. */
export function writeTextAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, path);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      // Never created: nothing to clean.
    }
    throw fileError(path, e);
  }
}

/** Write Wireshark's esp_sa table for the SAs of `table`. */
export function writeEspSaFile(path: string, table: SaTable): void {
  writeTextAtomic(path, formatEspSaFile(table));
}
