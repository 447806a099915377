/**
 * The ranges of every quantity and price stockhook accepts (docs/api/requests.md, "Numbers"). Nine integer digits
 * and six decimals are fifteen significant digits, which is exactly what a double carries without
 * loss, so every accepted value is stored, summed into levels and read back as sent.
 */
export const MAX_QUANTITY = 1_000_000_000;
export const MAX_PRICE = 1_000_000_000;
export const MAX_DECIMALS = 6;

/** Entity ids are PostgreSQL `integer`s. */
export const MAX_ID = 2_147_483_647;

/**
 * True when n is finite and has at most `places` decimal places. Exact for |n| < 1e9 and up to
 * 6 places: the nearest double to such a decimal prints back as that decimal.
 */
export const hasAtMostDecimals = (n: number, places: number): boolean => Number.isFinite(n) && Number(n.toFixed(places)) === n;

/** A quantity or price as the domain accepts it: finite, within [0, max], at most MAX_DECIMALS places. */
export const isAmount = (n: number, max: number): boolean => hasAtMostDecimals(n, MAX_DECIMALS) && n >= 0 && n <= max;
