import { diag, DiagConsoleLogger, DiagLogLevel } from '@opentelemetry/api';
import { createFacto } from '@facto/otel';
diag.setLogger(new DiagConsoleLogger(), DiagLogLevel.ERROR);
const facto = createFacto({ agentId: 'unreachable-exit', endpoint: process.env.ENDPOINT, privateKey: process.env.KEY, scheduledDelayMillis: 3_600_000, retryDelayMillis: 50 });
for (let index = 0; index < 3; index++) facto.record('step', index, index * 2);
