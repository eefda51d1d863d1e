export { createFacto, registerFacto, type Facto, type FactoOptions, type StepContext } from './facto.js';
export { FactoSpanProcessor, type FactoSpanProcessorOptions, type ProcessorStats } from './processor.js';
export { resolveEnvironment, type FactoEnvironmentOptions, type OtlpProtocol } from './config.js';
export { createFileHeadStore } from './file-head-store.js';
export { ChainHead, type ChainHeadState, type ChainHeadStore } from './chain-head.js';
export type { FlushReport, QueueStats } from './export-queue.js';
export type { RecordMeta } from './meta.js';
export { spanFields, hrTimeToNanos } from './span-fields.js';
