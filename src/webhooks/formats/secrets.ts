import { randomBytes } from 'node:crypto';
import { AppError } from '../../errors.js';

/**
 * A secret the user chose in the vendor's own system (MetaKocka's client_secret, CycleSoftware's
 * hash secret, Poster's application secret): any non-empty string, bounded so it cannot bloat
 * every signature computation. Generated from `bytes` random bytes when not given.
 */
export function freeFormSecret(label: string, generate: () => string) {
  return (given: string | undefined): string => {
    if (given === undefined) return generate();
    if (typeof given !== 'string' || given.length === 0 || given.length > 512) {
      throw new AppError('VALIDATION_FAILED', `secret (${label}) must be a non-empty string of at most 512 characters`, { field: 'secret' });
    }
    return given;
  };
}

export const randomHex = (bytes: number) => () => randomBytes(bytes).toString('hex');
export const randomBase64Url = (bytes: number) => () => randomBytes(bytes).toString('base64url');
