/** The error every file operation of the Node layer reports: the path and the system's reason. */
import { VirtkitError } from '../errors.js';

/** A file that cannot be opened, read or written: the path and the system's reason. */
export class FileError extends VirtkitError {
  override name = 'FileError';
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path}: ${reason}`);
  }
}

export function fileError(path: string, e: unknown): FileError {
  const err = e as NodeJS.ErrnoException;
  const why = err.code === 'ENOENT' ? 'no such file or directory' : err.code === 'EACCES' ? 'permission denied' : err.code === 'EISDIR' ? 'is a directory' : (err.message ?? String(e));
  return new FileError(path, why);
}
