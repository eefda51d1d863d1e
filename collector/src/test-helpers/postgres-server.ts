/**
 * A real PostgreSQL server of a test's own: initdb into a temporary folder, a free port on 127.0.0.1,
 * `pg_ctl start` and `stop`, and the folder removed afterwards. The binaries are Debian's (the
 * `postgresql` package, which .ci/run installs); when none are found the caller skips with the reason
 * `postgresBinaries()` gives. PostgreSQL refuses to run as root, so under root (CI) the server runs
 * as the `postgres` user the package creates. fsync is off: the tests kill collectors and restart the
 * server, never the machine, and the operating system keeps what the server wrote either way.
 */
import { execFile, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

export const POSTGRES_USER = 'facto';
export const POSTGRES_PASSWORD = 'test-password-not-secret';

/** Where the server binaries are, or why there are none. */
export function postgresBinaries(): { bin: string } | { missing: string } {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((name) => existsSync(join(root, name, 'bin', 'pg_ctl'))).sort((left, right) => Number(right) - Number(left)) : [];
  if (versions.length > 0) return { bin: join(root, versions[0]!, 'bin') };
  const onPath = spawnSync('sh', ['-c', 'dirname "$(command -v pg_ctl)"'], { encoding: 'utf8' });
  if (onPath.status === 0 && onPath.stdout.trim() !== '.') return { bin: onPath.stdout.trim() };
  return { missing: 'PostgreSQL server binaries not found (no /usr/lib/postgresql/*/bin/pg_ctl, no pg_ctl on PATH); .ci/run installs Debian\'s postgresql package' };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface PostgresServer {
  readonly port: number;
  /** postgres://facto:...@127.0.0.1:port/<database> */
  url(database?: string): string;
  /** A new empty database; returns its URL. */
  createDatabase(name: string): Promise<string>;
  dropDatabase(name: string): Promise<void>;
  /** Runs one statement as the superuser on `database`. */
  query(sql: string, database?: string): Promise<pg.QueryResult>;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the server and removes its folder. */
  destroy(): Promise<void>;
}

export async function startPostgresServer(bin: string): Promise<PostgresServer> {
  const folder = mkdtempSync(join(tmpdir(), 'facto-pg-'));
  const data = join(folder, 'data');
  const passwordFile = join(folder, 'password');
  writeFileSync(passwordFile, POSTGRES_PASSWORD);
  const asRoot = process.getuid?.() === 0;
  let owner: { uid: number; gid: number } | undefined;
  if (asRoot) {
    const [uid, gid] = ['-u', '-g'].map((flag) => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim()));
    if (!Number.isInteger(uid) || !Number.isInteger(gid)) throw new Error('running as root, and there is no postgres user to run the server as');
    owner = { uid: uid!, gid: gid! };
    chownSync(folder, owner.uid, owner.gid);
    chownSync(passwordFile, owner.uid, owner.gid);
  }
  chmodSync(folder, 0o700);
  const asOwner = owner === undefined ? {} : owner;
  const port = await freePort();
  const ctl = (...args: string[]) => run(join(bin, 'pg_ctl'), args, { ...asOwner, cwd: folder });
  await run(join(bin, 'initdb'), ['-D', data, '-U', POSTGRES_USER, `--pwfile=${passwordFile}`, '--auth=scram-sha-256', '--encoding=UTF8', '--locale=C', '--no-sync'], { ...asOwner, cwd: folder });
  const serverOptions = `-p ${port} -k ${folder} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=100`;
  const start = async () => {
    await ctl('-D', data, '-l', join(folder, 'server.log'), '-o', serverOptions, '-w', '-t', '60', 'start');
  };
  const stop = async () => {
    await ctl('-D', data, '-m', 'fast', '-w', '-t', '60', 'stop');
  };
  await start();
  let running = true;
  const url = (database = 'postgres') => `postgres://${POSTGRES_USER}:${POSTGRES_PASSWORD}@127.0.0.1:${port}/${database}`;
  const query = async (sql: string, database?: string) => {
    const client = new pg.Client({ connectionString: url(database) });
    client.on('error', () => undefined);
    await client.connect();
    try {
      return await client.query(sql);
    } finally {
      await client.end();
    }
  };
  return {
    port,
    url,
    query,
    async createDatabase(name) {
      await query(`CREATE DATABASE ${name}`);
      return url(name);
    },
    async dropDatabase(name) {
      await query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
    async stop() {
      await stop();
      running = false;
    },
    async start() {
      await start();
      running = true;
    },
    async destroy() {
      if (running) await stop().catch(() => undefined);
      running = false;
      rmSync(folder, { recursive: true, force: true });
    },
  };
}
