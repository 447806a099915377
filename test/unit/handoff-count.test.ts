import { describe, expect, it } from 'vitest';
import { HandoffCount } from '../../src/delivery/handoff/index.js';

/**
 * The numbers both sides of a handoff share (handoff/count.ts): what is reserved or given and not
 * ended, plus the dispatcher's own claimed load, never passes the limit. The integration tests
 * (test/webhooks/handoff.test.ts) reach these only through timing-dependent dispatcher runs.
 */
describe('the handoff count shared by the writing and the delivery thread', () => {
  it('has no room until a dispatcher sets its limit', () => {
    const count = new HandoffCount();
    expect([count.hasRoom(1), count.reserve(1), count.hasRoom(0), count.reserve(0)]).toEqual([false, false, true, true]);
  });

  it('reserves up to the limit, counting the dispatcher’s own load, and makes room as deliveries end', () => {
    const count = new HandoffCount();
    count.setLimit(5);
    expect([count.hasRoom(5), count.hasRoom(6)]).toEqual([true, false]);
    expect(count.reserve(3)).toBe(true);
    // 3 reserved: 2 more fit, 3 do not.
    expect([count.hasRoom(2), count.hasRoom(3), count.reserve(3)]).toEqual([true, false, false]);
    // The dispatcher's claimed load takes room too.
    count.setLoad(2);
    expect([count.hasRoom(0), count.hasRoom(1), count.reserve(1)]).toEqual([true, false, false]);
    count.setLoad(1);
    expect([count.hasRoom(1), count.hasRoom(2), count.reserve(1), count.reserve(1)]).toEqual([true, false, true, false]);
    // Ended (sent, released, given back) or unreserved: one, or several at once.
    count.free(1);
    expect([count.hasRoom(1), count.hasRoom(2)]).toEqual([true, false]);
    count.free(2);
    expect([count.hasRoom(3), count.hasRoom(4)]).toEqual([true, false]);
  });

  it('is the same count on another thread’s view of the buffer', () => {
    const mine = new HandoffCount();
    const theirs = new HandoffCount(mine.buffer);
    mine.setLimit(4);
    theirs.setLoad(1);
    expect(theirs.reserve(3)).toBe(true);
    expect([mine.hasRoom(0), mine.hasRoom(1), mine.reserve(1)]).toEqual([true, false, false]);
    mine.free(3);
    expect([theirs.hasRoom(3), theirs.hasRoom(4)]).toEqual([true, false]);
  });
});
