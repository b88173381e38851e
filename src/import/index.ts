export { FALLBACK_RECIPIENT, envelopeFromHeader, returnPathAddress } from './envelope.js';
export type { LocalEnvelope } from './envelope.js';
export { ImportError, importMessage } from './import-message.js';
export type { ImportOptions, ImportResult, ImportTarget } from './import-message.js';
