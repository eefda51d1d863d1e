/**
 * One core's Ed25519 verification rate under the facto.v1 rule (node:crypto path): the ceiling the
 * ingest benchmark is measured against. Verifies one signature over and over for the given time.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { generateKeyPair, sha3_256, sign, verify } from '@facto/core';

const keys = generateKeyPair();
const message = sha3_256(new TextEncoder().encode('ceiling'));
const signature = sign(message, keys.privateKey);
for (let index = 0; index < 200; index++) verify(signature, message, keys.publicKey);
let count = 0;
const started = performance.now();
const end = started + workerData.seconds * 1000;
while (performance.now() < end) {
  for (let index = 0; index < 50; index++) verify(signature, message, keys.publicKey);
  count += 50;
}
parentPort.postMessage(count / ((performance.now() - started) / 1000));
