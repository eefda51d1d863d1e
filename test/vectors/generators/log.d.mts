/** The type of log.mjs, which vectors.test.ts runs to prove log.json is exactly what it writes. */
export declare function generateLog(recordHashes: readonly string[]): unknown;
