export { factoMiddleware, type FactoMiddleware, type FactoMiddlewareOptions } from './middleware.js';
export { factoTools } from './tools.js';
export type { FactoInstrumentationOptions } from './options.js';
