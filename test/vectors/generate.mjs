#!/usr/bin/env node
/**
 * Writes the published vectors from the built @facto/core (run `npm run build` first, then
 * `node test/vectors/generate.mjs`): records.json (complete facto.v1 cases and the OTLP bodies a
 * verifier receives), signatures.json (the section 9 verification rule at its edges) and
 * bundles.json (a valid evidence bundle and one tampered copy per kind) and log.json (the SHA3-256
 * Merkle log's hashes, roots and proofs, and signed checkpoints with their verdicts). Every key is a published
 * RFC 8032 test key and every salt and id is fixed, so anyone can re-derive each value. The files
 * are checked in; test/vectors/vectors.test.ts proves the implementation still agrees with them,
 * and docs/spec.md section 14 points outsiders here.
 */
import { writeFileSync } from 'node:fs';
import { fromHex } from '@facto/core';
import { AGENT_PRIVATE_KEY, generateRecords } from './generators/records.mjs';
import { generateSignatures } from './generators/signatures.mjs';
import { generateBundles } from './generators/bundles.mjs';
import { generateLog } from './generators/log.mjs';

const write = (name, value) => writeFileSync(new URL(`./${name}`, import.meta.url), `${JSON.stringify(value, null, 2)}\n`);

const records = generateRecords();
write('records.json', records);
write('signatures.json', generateSignatures(AGENT_PRIVATE_KEY, fromHex(records.cases[0].expected.hash)));
write('bundles.json', await generateBundles(AGENT_PRIVATE_KEY));
write('log.json', generateLog(records.cases.map((item) => item.expected.hash)));
