/**
 * Chooses the backend every crypto function in @facto/core uses. 'auto' (the default, decided on
 * first use) takes node:crypto when the runtime has a working one and noble otherwise; either choice
 * gives the same bytes and verdicts, so the choice is about speed, never about results.
 */
import { FactoError } from '../errors.js';
import type { CryptoBackend } from './crypto-backend.js';
import { createNobleBackend } from './noble-backend.js';
import { createNodeBackend } from './node-backend.js';

export type CryptoBackendChoice = 'auto' | 'node' | 'noble';

let current: CryptoBackend | undefined;

export function getCryptoBackend(): CryptoBackend {
  current ??= pickAutomatically();
  return current;
}

/**
 * Switches the process-wide backend and returns it. 'node' throws FactoError when node:crypto is not
 * available (or fails its self-test) in this runtime; the previous backend then stays in place.
 */
export function useCryptoBackend(choice: CryptoBackendChoice): CryptoBackend {
  switch (choice) {
    case 'auto':
      current = pickAutomatically();
      break;
    case 'node':
      current = createNodeBackend();
      break;
    case 'noble':
      current = createNobleBackend();
      break;
    default:
      throw new FactoError('invalid_argument', "crypto backend must be 'auto', 'node' or 'noble'");
  }
  return current;
}

function pickAutomatically(): CryptoBackend {
  try {
    return createNodeBackend();
  } catch {
    return createNobleBackend();
  }
}
