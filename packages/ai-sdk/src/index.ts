export { factoMiddleware, type FactoMiddleware, type FactoMiddlewareOptions } from './middleware.js';
export type { FactoInstrumentationOptions } from './options.js';
