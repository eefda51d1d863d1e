/**
 * @facto/ai-sdk with ai 7 (language-model specification v4), installed beside ai 6 as the npm alias
 * `ai7`, through the same conformance paths as ai 6 plus its telemetry integration. ai 7 declares
 * Node >= 22 but runs on Node 20; running both majors in one vitest run keeps ai 7 covered without
 * a second CI leg or a second install.
 */
import * as ai7 from 'ai7';
import { MockLanguageModelV4 } from 'ai7/test';
import { useAiSdkTestbed, type AiUnderTest } from '../support/ai-sdk-testbed.js';
import { conformanceCalls } from './conformance-calls.js';
import { conformanceTools } from './conformance-tools.js';

// The suites are typed against ai 6; ai 7 keeps the same surface for every call they make.
const version: AiUnderTest = { label: 'ai 7', ai: ai7 as unknown as AiUnderTest['ai'], MockLanguageModel: MockLanguageModelV4 as unknown as AiUnderTest['MockLanguageModel'], runsTelemetryIntegrations: true };
const testbed = useAiSdkTestbed();

conformanceCalls(version, testbed);
conformanceTools(version, testbed);
