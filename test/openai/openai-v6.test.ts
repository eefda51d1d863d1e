/**
 * @facto/openai with the openai 6 client (the Node-20-clean line), through every conformance path
 * into a real collector.
 */
import OpenAI from 'openai';
import { APIPromise } from 'openai/api-promise';
import { Stream } from 'openai/streaming';
import { useOpenAITestbed, type ClientUnderTest } from '../support/openai-testbed.js';
import { conformanceCalls } from './conformance-calls.js';
import { conformanceHelpers } from './conformance-helpers.js';
import { conformanceSafety } from './conformance-safety.js';
import { conformanceWireVariants } from './conformance-wire-variants.js';

const version: ClientUnderTest = { label: 'openai 6', OpenAI, Stream, APIPromise };
const testbed = useOpenAITestbed(version);

conformanceCalls(version, testbed);
conformanceHelpers(version, testbed);
conformanceSafety(version, testbed);
conformanceWireVariants(version, testbed);
