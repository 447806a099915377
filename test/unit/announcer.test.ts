import { describe, expect, it } from 'vitest';
import { Announcer } from '../../src/storage/announcer.js';
import { latch } from '../support/receiver.js';

describe('announcing new deliveries after commit', () => {
  it('keeps one announcement in flight and folds the requests made meanwhile into one more', async () => {
    const gates: Array<() => void> = [];
    let sent = 0;
    const a = new Announcer(
      () =>
        new Promise<void>((resolve) => {
          sent++;
          gates.push(resolve);
        }),
      () => {},
      0,
    );
    a.request();
    for (let i = 0; i < 50; i++) a.request();
    expect(sent).toBe(1);
    gates[0]();
    await new Promise((r) => setImmediate(r));
    expect(sent).toBe(2);
    gates[1]();
    await new Promise((r) => setImmediate(r));
    expect(sent).toBe(2);
    // Idle again: the next request goes out at once.
    a.request();
    expect(sent).toBe(3);
  });

  it('waits a few milliseconds before announcing, so a burst of commits makes one announcement', async () => {
    let sent = 0;
    const a = new Announcer(async () => void sent++, () => {}, 20);
    for (let i = 0; i < 30; i++) a.request();
    expect(sent).toBe(0);
    await new Promise((r) => setTimeout(r, 60));
    expect(sent).toBe(1);
  });

  it('logs a failed announcement and keeps announcing', async () => {
    const logged: string[] = [];
    let calls = 0;
    const done = latch();
    const a = new Announcer(
      async () => {
        calls++;
        if (calls === 1) throw new Error('connection lost');
        done.open();
      },
      (msg) => logged.push(msg),
      0,
    );
    a.request();
    await new Promise((r) => setImmediate(r));
    a.request();
    await done.promise;
    expect(calls).toBe(2);
    expect(logged).toEqual(['announcing new deliveries failed; other workers find them at their next poll']);
  });
});
