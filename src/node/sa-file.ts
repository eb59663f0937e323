/**
 * Security-association files for `build`/`decode --sa FILE` (a JSON list, or Wireshark's
 * esp_sa table) and `build --write-esp-sa FILE`, written through SafeOutput, so a failure never
 * leaves a user's file half written.
 */
import { readFileSync } from 'node:fs';
import { formatEspSaFile, parseSaText, type SaTable, type SecurityAssociation } from '../net/esp/sa.js';
import { fileError } from './capture-file.js';
import { writeOutputFile, type OutputOptions } from './safe-output.js';

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

/** Write Wireshark's esp_sa table for the SAs of `table` (safely: see safe-output.ts). */
export async function writeEspSaFile(path: string, table: SaTable, opts: OutputOptions = {}): Promise<void> {
  await writeOutputFile(path, formatEspSaFile(table), opts);
}
