import { describe, expect, it } from 'vitest';
import { Breakers, DEFAULT_BREAKER } from '../../src/delivery/breaker.js';

describe('circuit breaker', () => {
  it('defaults: opens after 5 consecutive failures for 30 s, backing off up to 10 min', () => {
    expect(DEFAULT_BREAKER).toEqual({ threshold: 5, cooldownMs: 30_000, maxCooldownMs: 600_000 });
  });

  it('opens on the threshold-th consecutive failure, not before; a success resets the count', () => {
    const b = new Breakers();
    for (let i = 0; i < 4; i++) expect(b.record('e', false, 0)).toBeNull();
    b.record('e', true, 0);
    for (let i = 0; i < 4; i++) expect(b.record('e', false, 0)).toBeNull();
    expect(b.record('e', false, 1000)).toBe(31_000);
    expect(b.state('e', 1000)).toBe('open');
    expect(b.acquire('e', 30_999)).toBe(false);
    expect(b.blocked(30_999)).toEqual(['e']);
  });

  it('half-open hands out exactly one probe; a failed probe doubles the cooldown up to the maximum', () => {
    const b = new Breakers({ threshold: 1, cooldownMs: 100, maxCooldownMs: 300 });
    expect(b.record('e', false, 0)).toBe(100);
    expect(b.state('e', 100)).toBe('half-open');
    expect(b.acquire('e', 100)).toBe(true);
    expect(b.acquire('e', 100)).toBe(false);
    expect(b.record('e', false, 100)).toBe(300); // 200 ms cooldown
    expect(b.acquire('e', 300)).toBe(true);
    expect(b.record('e', false, 300)).toBe(600); // capped at 300 ms
    expect(b.acquire('e', 600)).toBe(true);
    b.record('e', true, 610);
    expect(b.state('e', 610)).toBe('closed');
    expect(b.counts(610)).toEqual({ closed: 0, open: 0, 'half-open': 0 });
  });

  it('keeps endpoints apart', () => {
    const b = new Breakers({ threshold: 2, cooldownMs: 1000, maxCooldownMs: 1000 });
    b.record('a', false, 0);
    b.record('a', false, 0);
    b.record('b', false, 0);
    expect(b.acquire('a', 10)).toBe(false);
    expect(b.acquire('b', 10)).toBe(true);
    expect(b.counts(10)).toEqual({ closed: 1, open: 1, 'half-open': 0 });
  });
});
