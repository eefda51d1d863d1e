/**
 * Module hooks that let a plain `node` child process import the store's TypeScript sources, so the
 * crash test kills a process running the real driver rather than a copy of its SQL. Node 20 cannot
 * strip types itself; each .ts file is transpiled alone (the sources use verbatimModuleSyntax, so
 * that is exact), `.js` specifiers are mapped to their `.ts` files, and @facto/core to its sources,
 * as vitest.config.ts does for the tests. Transpiled output is cached on disk by content hash, and
 * the TypeScript compiler is loaded only on a miss: the examination pool starts worker threads from
 * these sources in every test collector, and loading the compiler in each would cost a second apiece.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const cacheDirectory = join(tmpdir(), 'facto-typescript-cache-v1');
let compiler;

const coreSources = new URL('../../../packages/core/src/index.ts', import.meta.url).href;

export async function resolve(specifier, context, nextResolve) {
  if (specifier === '@facto/core') return { url: coreSources, shortCircuit: true };
  if (specifier.endsWith('.js') && context.parentURL?.endsWith('.ts')) {
    const candidate = new URL(specifier.replace(/\.js$/, '.ts'), context.parentURL);
    if (existsSync(fileURLToPath(candidate))) return { url: candidate.href, shortCircuit: true };
  }
  return nextResolve(specifier, context);
}

export async function load(url, context, nextLoad) {
  if (!url.endsWith('.ts')) return nextLoad(url, context);
  const fileName = fileURLToPath(url);
  const source = await readFile(fileName, 'utf8');
  const cached = join(cacheDirectory, `${createHash('sha256').update(fileName).update('\0').update(source).digest('hex')}.js`);
  try {
    return { format: 'module', source: await readFile(cached, 'utf8'), shortCircuit: true };
  } catch {
    // A miss: transpile below.
  }
  compiler ??= (await import('typescript')).default;
  const { outputText } = compiler.transpileModule(source, {
    fileName,
    compilerOptions: { module: compiler.ModuleKind.ESNext, target: compiler.ScriptTarget.ES2022, verbatimModuleSyntax: true },
  });
  // Written aside and renamed, so a concurrent reader never sees half a file.
  mkdirSync(cacheDirectory, { recursive: true });
  const partial = `${cached}.${process.pid}.${Math.random().toString(36).slice(2)}`;
  await writeFile(partial, outputText);
  await rename(partial, cached);
  return { format: 'module', source: outputText, shortCircuit: true };
}
