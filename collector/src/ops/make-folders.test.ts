import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeFolders } from './make-folders.js';

let directory: string;
afterEach(() => rmSync(directory, { recursive: true, force: true }));

describe('makeFolders', () => {
  it('makes the missing levels with the mode, returns the first it made, and nothing when all exist', () => {
    directory = mkdtempSync(join(tmpdir(), 'facto-folders-'));
    expect(makeFolders(join(directory, 'a', 'b'), 0o700)).toBe(join(directory, 'a'));
    expect(statSync(join(directory, 'a', 'b')).mode & 0o777).toBe(0o700 & ~process.umask());
    expect(makeFolders(join(directory, 'a', 'b'))).toBeUndefined();
  });

  it('names a file that stands on the way, or where the folder goes (ENOTDIR)', () => {
    directory = mkdtempSync(join(tmpdir(), 'facto-folders-'));
    const file = join(directory, 'file');
    writeFileSync(file, 'not a folder');
    expect(() => makeFolders(join(file, 'x', 'y'))).toThrow(expect.objectContaining({ code: 'ENOTDIR', message: expect.stringContaining(`mkdir '${join(file, 'x')}'`) }));
    expect(() => makeFolders(file)).toThrow(expect.objectContaining({ code: 'ENOTDIR', message: `ENOTDIR: not a directory, mkdir '${file}'` }));
  });
});
