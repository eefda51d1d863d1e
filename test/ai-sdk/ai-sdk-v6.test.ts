/**
 * @facto/ai-sdk with ai 6 (the Node-20-clean line, language-model specification v3), through every
 * conformance path into a real collector.
 */
import * as ai from 'ai';
import { MockLanguageModelV3 } from 'ai/test';
import { useAiSdkTestbed, type AiUnderTest } from '../support/ai-sdk-testbed.js';
import { conformanceCalls } from './conformance-calls.js';
import { conformanceTools } from './conformance-tools.js';

const version: AiUnderTest = { label: 'ai 6', ai, MockLanguageModel: MockLanguageModelV3, runsTelemetryIntegrations: false };
const testbed = useAiSdkTestbed();

conformanceCalls(version, testbed);
conformanceTools(version, testbed);
