export { wrapOpenAI, type WrapOpenAIOptions } from './wrap-openai.js';
