/**
 * The advisory lock keys the collector takes (one 64-bit key space per database, shared with anything
 * else that uses advisory locks there). They are fixed numbers derived from readable names, so an
 * operator looking at pg_locks can tell them apart: `SELECT objid FROM pg_locks WHERE locktype = 'advisory'`.
 */

/** Held for the length of a migration transaction, so concurrent starts apply each step once. */
export const MIGRATION_LOCK = 0x666163746f01; // "facto" 01

/** Held for the length of every sequencer transaction: read head, decide, append, commit. */
export const SEQUENCER_LOCK = 0x666163746f02; // "facto" 02

/** Held by the leader's session for as long as its connection lives: checkpoints and the gap sweep. */
export const LEADER_LOCK = 0x666163746f03; // "facto" 03

/** Held by the session of the process that delivers the forward queue, among those started with --forward. */
export const FORWARDER_LOCK = 0x666163746f04; // "facto" 04
