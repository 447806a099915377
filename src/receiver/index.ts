/**
 * stockhook/receiver: verify webhooks from stockhook (or the systems whose formats it speaks).
 * No server dependencies: only node:crypto.
 */
export { verify, type VerifyInput, type VerifyResult } from './verify.js';
export { FORMAT_NAMES, isFormatName, type FormatName } from './formats.js';
export { cyclesoftwareSignature, metakockaSignature, posterVerify, standardSignature, type PosterVerifyFields } from './signatures.js';
export { safeEqual, header, type HeadersLike } from './compare.js';
export type * from './types.js';
