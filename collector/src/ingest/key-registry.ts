/**
 * The agent key registry: agent_id -> Ed25519 public keys with validity windows and revocation, from
 * the --keys file and the admin API, kept in the store. Two trust modes, applied by the ingest
 * decision (decide.ts). `strict`: a span under a key the registry does not hold is rejected. `tofu`
 * (trust on first use): the first key an agent presents with a valid signature is pinned for that
 * agent, in the same transaction as the span, and recorded loudly; any other key for it is then
 * rejected until an administrator registers it. Pinning per agent rather than per chain matters: per chain, anyone
 * who knew an agent's name could open a new chain with a key of their own.
 */
import { readFileSync } from 'node:fs';
import { FactoError, parseStrictJson } from '@facto/core';
import { keyTakenBy, readKeyWindow, readPublicKeyField } from '../api/key-entry.js';
import { parseIdentifier } from '../api/query-parameters.js';
import { expectObject, isJsonObject, optionalRfc3339Field, rejectUnknownFields } from '../api/request-body.js';
import type { TrustMode } from '../config.js';
import { HttpError } from '../http/types.js';
import type { Logger } from '../ops/logger.js';
import type { AgentKey, Store } from '../store/types.js';
import type { KeyView } from './decide.js';

/** The --keys file as read at start: its path (for messages) and the keys it lists. */
export interface KeyFile {
  readonly path: string;
  readonly keys: readonly AgentKey[];
}

const ENTRY_FIELDS = ['publicKey', 'notBefore', 'notAfter', 'revokedAt'];

/**
 * Runs one of the admin API's readers on the file's contents, turning its 400 into the start-up
 * error (exit 2) that names the file, and the agent and key when they are known.
 */
function asFileError<T>(where: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (!HttpError.isInstance(error)) throw error;
    throw new FactoError('invalid_argument', `${where}: ${error.message}`);
  }
}

/** The key id of a readable publicKey, or undefined: only to name the entry in a message. */
function readPublicKeyId(entry: Record<string, unknown>): string | undefined {
  try {
    return readPublicKeyField(entry, 'publicKey', '').keyId;
  } catch {
    return undefined;
  }
}

/**
 * Reads the --keys file: { "agents": { "<agent_id>": [{ "publicKey": "<PEM, base64 or hex>", "notBefore"?, "notAfter"?, "revokedAt"? }] } }.
 * As strictly as POST /v1/admin/keys reads a key, with the same code: an unknown field (a typo such
 * as `revoked_at` would otherwise leave a key its operator meant to revoke trusted), a time that is
 * not an RFC 3339 string of a real calendar date, a duplicate member name, and a key listed twice or
 * under two agents are refused, naming the file, the agent, the key and the field.
 */
export function readKeyFile(path: string, now = Date.now()): KeyFile {
  const file = `key registry ${path}`;
  let parsed: unknown;
  try {
    parsed = parseStrictJson(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new FactoError('invalid_argument', `${file}: ${(error as Error).message}`);
  }
  const shape = 'expected { "agents": { "<agent_id>": [ { "publicKey": ... } ] } }';
  if (!isJsonObject(parsed) || !isJsonObject(parsed.agents)) throw new FactoError('invalid_argument', `${file}: ${shape}`);
  const root = parsed;
  asFileError(file, () => rejectUnknownFields(root, ['agents'], 'the top level'));
  const keys: AgentKey[] = [];
  const listedAt = new Map<string, { agentId: string; where: string }>();
  for (const [agentId, entries] of Object.entries(parsed.agents)) {
    const agent = `agents[${JSON.stringify(agentId)}]`;
    asFileError(file, () => parseIdentifier(`${agent}: the agent id`, agentId));
    if (!Array.isArray(entries)) throw new FactoError('invalid_argument', `${file}: ${agent} must be an array`);
    entries.forEach((value: unknown, index) => {
      const what = `${agent}[${index}]`;
      const inAgent = `${file}, agent ${JSON.stringify(agentId)}`;
      const entry = asFileError(inAgent, () => expectObject(value, what));
      // The key's id, when it can be read, goes into every message; an unknown field is named before a missing key.
      const named = readPublicKeyId(entry);
      asFileError(named === undefined ? inAgent : `${inAgent}, key ${named}`, () => rejectUnknownFields(entry, ENTRY_FIELDS, what));
      const { keyId, publicKey } = asFileError(inAgent, () => readPublicKeyField(entry, 'publicKey', what));
      const where = `${inAgent}, key ${keyId}`;
      const window = asFileError(where, () => readKeyWindow(entry, { notBefore: 'notBefore', notAfter: 'notAfter' }, what, optionalRfc3339Field));
      const revokedAt = asFileError(where, () => optionalRfc3339Field(entry, 'revokedAt', what)) ?? null;
      const earlier = listedAt.get(keyId);
      if (earlier !== undefined) {
        const reason = keyTakenBy(earlier, keyId, agentId) ?? 'it is listed twice for this agent, and which entry is meant would be a guess';
        throw new FactoError('invalid_argument', `${where}: ${what} lists the same key as ${earlier.where}: ${reason}`);
      }
      listedAt.set(keyId, { agentId, where: what });
      keys.push({ agentId, keyId, publicKey, ...window, revokedAt, source: 'config', createdAt: now });
    });
  }
  return { path, keys };
}

export class KeyRegistry {
  readonly mode: TrustMode;
  readonly #store: Store;
  readonly #logger: Logger;
  #byKeyId = new Map<string, AgentKey>();
  #agentsWithKeys = new Set<string>();

  constructor(store: Store, mode: TrustMode, logger: Logger) {
    this.#store = store;
    this.mode = mode;
    this.#logger = logger;
  }

  /**
   * Loads the registry from the store, after writing the --keys file's keys into it. A file key the
   * store holds for another agent is refused (as POST /v1/admin/keys answers 409) before anything is
   * written. A key an earlier file registered that this file no longer lists is retired: its window
   * closes now, so it still verifies what it signed before and nothing signed from now on. Revoking
   * it instead would also disown the evidence it signed (the API trusts no revoked key, whenever it
   * signed), and for good (a revocation outlives the key file); a retired key listed again is back.
   */
  async load(file?: KeyFile, now = Date.now()): Promise<void> {
    const stored = await this.#store.listKeys();
    for (const key of file?.keys ?? []) {
      for (const owner of stored.filter((candidate) => candidate.keyId === key.keyId)) {
        const taken = keyTakenBy(owner, key.keyId, key.agentId);
        if (taken !== undefined) {
          throw new FactoError('invalid_argument', `key registry ${file!.path}, agent ${JSON.stringify(key.agentId)}, key ${key.keyId}: ${taken} (in the store, source ${owner.source})`);
        }
      }
    }
    const same = (a: AgentKey, b: AgentKey) => a.agentId === b.agentId && a.keyId === b.keyId;
    for (const key of file?.keys ?? []) {
      const previous = stored.find((candidate) => same(candidate, key));
      // A revocation recorded in the store outlives a key file that still lists the key; of two, the earlier holds.
      const revocations = [previous?.revokedAt, key.revokedAt].filter((time): time is number => time != null);
      const revokedAt = revocations.length > 0 ? Math.min(...revocations) : null;
      await this.#store.putKey({ ...key, revokedAt, createdAt: previous?.createdAt ?? key.createdAt });
    }
    if (file !== undefined) {
      for (const key of stored) {
        if (key.source !== 'config' || file.keys.some((listed) => same(listed, key))) continue;
        if ((key.revokedAt !== null && key.revokedAt <= now) || (key.notAfter !== null && key.notAfter <= now)) continue;
        await this.#store.putKey({ ...key, notAfter: now });
        this.#logger.warn('retired an agent key the --keys file no longer lists: it verifies what it signed until now and nothing signed later; list it again to undo, or revoke it through the admin API if it is compromised', {
          keysFile: file.path,
          agentId: key.agentId,
          keyId: key.keyId,
          notAfter: new Date(now).toISOString(),
        });
      }
    }
    await this.refresh();
  }

  async refresh(): Promise<void> {
    const keys = await this.#store.listKeys();
    this.#byKeyId = new Map(keys.map((key) => [key.keyId, key]));
    this.#agentsWithKeys = new Set(keys.map((key) => key.agentId));
  }

  /** The public key registered under this key id, if any. */
  publicKeyFor(keyId: string): string | undefined {
    return this.#byKeyId.get(keyId)?.publicKey;
  }

  /** A read-only view for the ingest decision (decide.ts), which decides trust and TOFU pins. */
  view(): KeyView {
    const byKeyId = this.#byKeyId;
    const agentsWithKeys = this.#agentsWithKeys;
    return { key: (keyId) => byKeyId.get(keyId), hasKeys: (agentId) => agentsWithKeys.has(agentId) };
  }

  /** Keys a committed batch pinned under TOFU: known from now on, and said loudly. */
  applyPins(keys: readonly AgentKey[]): void {
    for (const key of keys) {
      this.#byKeyId.set(key.keyId, key);
      this.#agentsWithKeys.add(key.agentId);
      this.#logger.warn('TOFU: pinned the first key seen for an agent; register keys and use --trust strict in production', { agentId: key.agentId, keyId: key.keyId });
    }
  }
}
