/** The PostgreSQL driver for the collector's Store, shared by several collector processes. */
export { createPostgresStore, isPostgresUrl, type PostgresStoreOptions } from './postgres-store.js';
export { describeTarget, redactUrl } from './connection.js';
