#!/usr/bin/env node
// The `facto` command. Everything lives in main() (tested in-process); this file only binds it to
// the real process. exitCode rather than process.exit(), so pending output is flushed first.
import { fileURLToPath } from 'node:url';

/** The compiled command; in a checkout of the repository it exists once something has built it. */
async function loadMain() {
  const compiled = new URL('../dist/main.js', import.meta.url);
  try {
    return (await import(compiled.href)).main;
  } catch (error) {
    // Node names the missing file by its path (spaces and all, not URL-escaped).
    if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !String(error.message).includes(fileURLToPath(compiled))) throw error;
    process.stderr.write('facto: this copy is not built yet; run "npm run build" at the repository root (npm start and npm test build it too)\n');
    process.exit(70);
  }
}
const main = await loadMain();

/**
 * A standard stream whose reader may go away (`facto verify … | head -1`): once it has (EPIPE), what
 * is written is dropped and `closed` says so, instead of an uncaught error that would turn a valid
 * verdict into a crash. Long output waits for the reader with whenWritable(), which also finds out
 * whether it went away.
 */
function output(stream) {
  let closed = false;
  stream.on('error', (error) => {
    if (error.code !== 'EPIPE') throw error;
    closed = true;
  });
  return {
    get isTTY() {
      return stream.isTTY;
    },
    get columns() {
      return stream.columns;
    },
    get closed() {
      return closed;
    },
    write: (text) => (closed ? true : stream.write(text)),
    // An empty write's callback runs once everything before it is out, or with the error that stopped it.
    whenWritable: () =>
      closed
        ? Promise.resolve()
        : new Promise((resolve) =>
            stream.write('', (error) => {
              if (error) closed = true;
              resolve();
            }),
          ),
  };
}

process.exitCode = await main(process.argv.slice(2), { stdout: output(process.stdout), stderr: output(process.stderr), env: process.env, exit: (code) => process.exit(code) });
