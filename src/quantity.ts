/**
 * Quantities are doubles; derived ones (a sum of movements, free = amount - reserved) carry binary
 * floating noise (0.30000000000000004). Everything shown or sent is rounded to 9 decimals first.
 */
export const round = (n: number): number => Math.round(n * 1e9) / 1e9;
