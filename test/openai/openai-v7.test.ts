/**
 * @facto/openai with the openai 7 client, installed beside v6 as the npm alias `openai7`, through
 * the same conformance paths as v6. openai 7 declares Node >= 22 but runs on Node 20; running both
 * majors in one vitest run keeps v7 covered without a second CI leg or a second install.
 */
import OpenAI7 from 'openai7';
import { APIPromise } from 'openai7/api-promise';
import { Stream } from 'openai7/streaming';
import { useOpenAITestbed, type ClientUnderTest, type OpenAIClass } from '../support/openai-testbed.js';
import { conformanceCalls } from './conformance-calls.js';
import { conformanceHelpers } from './conformance-helpers.js';
import { conformanceSafety } from './conformance-safety.js';
import { conformanceWireVariants } from './conformance-wire-variants.js';

// The suites are typed against v6's client; v7 keeps the same surface for every call they make.
const version: ClientUnderTest = { label: 'openai 7', OpenAI: OpenAI7 as unknown as OpenAIClass, Stream, APIPromise };
const testbed = useOpenAITestbed(version);

conformanceCalls(version, testbed);
conformanceHelpers(version, testbed);
conformanceSafety(version, testbed);
conformanceWireVariants(version, testbed);
