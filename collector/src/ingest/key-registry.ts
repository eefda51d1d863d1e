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
import { FactoError, keyId as computeKeyId, parsePublicKey, toHex } from '@facto/core';
import type { TrustMode } from '../config.js';
import type { Logger } from '../ops/logger.js';
import type { AgentKey, Store } from '../store/types.js';
import type { KeyView } from './decide.js';

interface KeyFileEntry {
  readonly publicKey: string;
  readonly notBefore?: string;
  readonly notAfter?: string;
  readonly revokedAt?: string;
}

function time(value: string | undefined, what: string): number | null {
  if (value === undefined) return null;
  const parsed = Date.parse(value);
  if (Number.isNaN(parsed)) throw new FactoError('invalid_argument', `${what}: "${value}" is not an ISO 8601 time`);
  return parsed;
}

/** Reads the --keys file: { "agents": { "<agent_id>": [{ "publicKey": "<PEM, base64 or hex>", "notBefore"?, "notAfter"?, "revokedAt"? }] } }. */
export function readKeyFile(path: string, now = Date.now()): AgentKey[] {
  let parsed: { agents?: Record<string, KeyFileEntry[]> };
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new FactoError('invalid_argument', `key registry ${path}: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || typeof parsed.agents !== 'object' || parsed.agents === null) {
    throw new FactoError('invalid_argument', `key registry ${path}: expected { "agents": { "<agent_id>": [ { "publicKey": ... } ] } }`);
  }
  const keys: AgentKey[] = [];
  for (const [agentId, entries] of Object.entries(parsed.agents)) {
    if (!Array.isArray(entries)) throw new FactoError('invalid_argument', `key registry ${path}: agents["${agentId}"] must be an array`);
    entries.forEach((entry, index) => {
      const where = `key registry ${path}: agents["${agentId}"][${index}]`;
      let publicKey: Uint8Array;
      try {
        publicKey = parsePublicKey(entry.publicKey);
      } catch (error) {
        throw new FactoError('invalid_argument', `${where}.publicKey: ${(error as Error).message}`);
      }
      keys.push({
        agentId,
        keyId: computeKeyId(publicKey),
        publicKey: toHex(publicKey),
        notBefore: time(entry.notBefore, `${where}.notBefore`),
        notAfter: time(entry.notAfter, `${where}.notAfter`),
        revokedAt: time(entry.revokedAt, `${where}.revokedAt`),
        source: 'config',
        createdAt: now,
      });
    });
  }
  return keys;
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

  /** Loads the registry from the store, after writing the --keys file's keys into it. */
  async load(fileKeys: readonly AgentKey[] = []): Promise<void> {
    const existing = new Map((await this.#store.listKeys()).map((key) => [key.keyId, key]));
    for (const key of fileKeys) {
      const stored = existing.get(key.keyId);
      // A revocation recorded in the store outlives a key file that still lists the key.
      await this.#store.putKey(stored?.revokedAt != null && key.revokedAt == null ? { ...key, revokedAt: stored.revokedAt } : key);
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
