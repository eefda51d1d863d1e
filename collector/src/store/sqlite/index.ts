/** The embedded SQLite driver for the collector's Store. */
export { createSqliteStore, type SqliteStoreOptions } from './sqlite-store.js';
export type { SynchronousMode } from './open-database.js';
