export { factoMiddleware, type FactoMiddleware, type FactoMiddlewareOptions } from './middleware.js';
export { factoTools } from './tools.js';
export { factoTelemetry, type FactoTelemetry, type TelemetryEvent, type ToolExecutionEvent } from './telemetry.js';
export type { FactoInstrumentationOptions } from './options.js';
