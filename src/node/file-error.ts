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

const REASONS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory',
  ENOTDIR: 'a component of the path is not a directory',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EIO: 'input/output error',
  EROFS: 'read-only file system',
  EFBIG: 'file too large',
  EPIPE: 'broken pipe',
  EXDEV: 'cross-device link',
  ENAMETOOLONG: 'file name too long',
  ELOOP: 'too many levels of symbolic links',
};

/** The system's reason for an I/O error as a short phrase with its code, e.g. "no space left on device (ENOSPC)". */
export function ioReason(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  const code = typeof err?.code === 'string' ? err.code : undefined;
  if (code !== undefined && Object.prototype.hasOwnProperty.call(REASONS, code)) return `${REASONS[code]} (${code})`;
  if (code !== undefined) return code;
  return err instanceof Error ? err.message.split('\n')[0]! : String(e);
}

/** A FileError for a failed read or open of `path`. */
export function fileError(path: string, e: unknown): FileError {
  return new FileError(path, ioReason(e));
}
