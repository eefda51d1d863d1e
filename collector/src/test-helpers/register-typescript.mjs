/**
 * `node --import` this file to run the collector's TypeScript sources in a plain Node process or
 * worker thread (tests run from sources, not from dist/): it registers typescript-hooks.mjs.
 */
import { register } from 'node:module';

register('./typescript-hooks.mjs', import.meta.url);
