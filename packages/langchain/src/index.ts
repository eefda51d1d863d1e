export { FactoCallbackHandler, type FactoCallbackHandlerOptions } from './callback-handler.js';
