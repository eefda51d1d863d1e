/**
 * Creates the missing folders on the way to a file, one level at a time. Node's recursive
 * mkdirSync misreports two cases an operator meets when pointing --db or --log-key at the wrong
 * place: under a read-only mount it says ENOENT ("no such file or directory") instead of EROFS, and
 * under /proc, where mkdir answers ENOENT although the parent exists, it retries for ever and the
 * start hangs (SIGTERM included: the event loop never runs again). One level at a time, the error is
 * the one the system gave for the folder that could not be made, and it always returns.
 */
import { closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** Makes `folder` and any missing parents (with `mode`); returns the first one it created, if any. */
export function makeFolders(folder: string, mode?: number): string | undefined {
  const target = resolve(folder);
  const missing: string[] = [];
  for (let at = target; !exists(at); ) {
    missing.push(at);
    const parent = dirname(at);
    if (parent === at) break;
    at = parent;
  }
  let first: string | undefined;
  for (const path of missing.reverse()) {
    try {
      mkdirSync(path, { mode });
      first ??= path;
    } catch (error) {
      // Another process made it meanwhile: go on. A file of that name fails at the next level (ENOTDIR).
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  // What stands there must be a folder: a file of that name, or one this user cannot reach, says so.
  if (!statSync(target).isDirectory()) throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${target}'`), { code: 'ENOTDIR', syscall: 'mkdir', path: target });
  return first;
}

/**
 * Creates `path` empty, readable and writable by this user only (0600), unless something is there
 * already, which is left as it is. SQLite then opens the file instead of creating it with the umask's
 * mode (0644 as a rule), and gives the -wal and -shm files it makes the database file's mode: the
 * store's records, content included, are not for other local users, who could also take its lock.
 */
export function createPrivateFile(path: string): void {
  try {
    closeSync(openSync(path, 'wx', 0o600));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}

/**
 * Whether something is at `path`. ENOTDIR (a file on the way) counts as missing, so the mkdir below
 * that file reports it with its path; EACCES (a folder this user cannot search) as present, so the
 * mkdir or the final check under it reports that, with its path.
 */
function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return false;
    if (code === 'EACCES') return true;
    throw error;
  }
}
