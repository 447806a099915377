/**
 * stockhook/receiver: verify webhooks from stockhook (or the systems whose formats it speaks).
 * No server dependencies: only node:crypto.
 */
export { verify, type FormatName, type VerifyInput, type VerifyResult } from './verify.js';
export { safeEqual, header, type HeadersLike } from './compare.js';
export type * from './types.js';
