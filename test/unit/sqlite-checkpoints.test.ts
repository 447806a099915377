import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import SQLite from 'better-sqlite3';
import { openStore, type Store } from '../../src/storage/database.js';
import { BackgroundCheckpoints, CHECKPOINT_INTERVAL_MS, configureCheckpoints } from '../../src/storage/sqlite/checkpoints.js';
import { WriteTurn } from '../../src/storage/sqlite/write-turn.js';
import { shareBetweenThreads } from '../../src/storage/threads.js';
import { timeOrderedId } from '../../src/storage/time-ordered-id.js';
import { walCopiedBack, walProgress } from '../support/sqlite-wal.js';
import { eventually } from '../support/wait.js';

type Tx = Parameters<Parameters<Store['transaction']>[0]>[0];

/** Rows of about a page each into table t, in the transaction given or in one of their own. */
const insertPages = async (tx: Tx, rows: number) => {
  for (let i = 0; i < rows; i++) await sql`insert into t (pad) values (${'x'.repeat(3000)})`.execute(tx);
};
const writePages = (s: Store, rows: number) => s.transaction((tx) => insertPages(tx, rows));

const autocheckpoint = async (s: Store) => (await sql<{ wal_autocheckpoint: number }>`pragma wal_autocheckpoint`.execute(s.db)).rows[0].wal_autocheckpoint;

describe('who checkpoints SQLite (role all: the HTTP thread never, the delivery thread on a timer)', () => {
  let dir: string;
  let file: string;
  let http: Store;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'stockhook-ckpt-'));
    file = join(dir, 't.db');
    http = await openStore(file, { checkpoints: 'elsewhere' });
    await sql`create table t (n integer primary key, pad text)`.execute(http.db);
  });
  afterAll(async () => {
    await http.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const walSize = () => statSync(`${file}-wal`).size;

  it('a connection told checkpoints happen elsewhere never copies the log back, however long it grows', async () => {
    await writePages(http, 1500);
    const once = walSize();
    expect(once).toBeGreaterThan(1000 * 4096);
    // SQLite's own checkpoint (at 1,000 pages) would have let this second write start the log over.
    await writePages(http, 1500);
    expect(walSize()).toBeGreaterThan(once + 1000 * 4096);
    // And nothing was copied back.
    expect(walProgress(file).backfilled).toBe(0);
  });

  it('a connection alone keeps SQLite’s own checkpoint at 1,000 pages; one told elsewhere or background turns it off', async () => {
    expect(await autocheckpoint(http)).toBe(0);
    for (const [mode, pages] of [[undefined, 1000], ['auto', 1000], ['background', 0]] as const) {
      const other = await openStore(file, { checkpoints: mode, migrate: false });
      try {
        expect(await autocheckpoint(other)).toBe(pages);
      } finally {
        await other.close();
      }
    }
  });

  it('a background connection copies it back on its timer, so the next write starts the log over', async () => {
    const bg = await openStore(file, { checkpoints: 'background', migrate: false });
    try {
      const grown = walSize();
      const { frames } = walProgress(file);
      expect(frames).toBeGreaterThan(2000);
      // Its timer's checkpoint has copied back every frame (read from the wal-index, not by sleeping).
      await eventually(() => walCopiedBack(file, frames), 10_000, 20, 'the log copied back');
      await writePages(http, 500);
      expect(walSize()).toBe(grown); // rewound and reused, not appended to
      // The frames of that write are the whole log now (a probe checkpoint reports the log's length).
      const { rows } = await sql<{ log: number }>`pragma wal_checkpoint(PASSIVE)`.execute(http.db);
      expect(rows[0].log).toBeGreaterThan(500);
      expect(rows[0].log).toBeLessThan(700);
    } finally {
      await bg.close();
    }
  });
});

describe('who checkpoints in stockhook serve: opened with the threads of one process', () => {
  it('the requests thread never checkpoints; the delivery thread copies the log back on its timer', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stockhook-ckpt-threads-'));
    const file = join(dir, 't.db');
    const share = shareBetweenThreads(file);
    // The checkpoint timers are the test's: each tick comes when the test moves the clock.
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const requests = await openStore(file, { threads: { role: 'requests', share } });
    let delivery: Store | undefined;
    try {
      await sql`create table t (n integer primary key, pad text)`.execute(requests.db);
      await writePages(requests, 1500);
      const { frames } = walProgress(file);
      expect(frames).toBeGreaterThan(1500);
      vi.advanceTimersByTime(5 * CHECKPOINT_INTERVAL_MS);
      expect(walProgress(file)).toEqual({ frames, backfilled: 0 });
      delivery = await openStore(file, { threads: { role: 'delivery', share }, migrate: false });
      expect([await autocheckpoint(requests), await autocheckpoint(delivery)]).toEqual([0, 0]);
      vi.advanceTimersByTime(CHECKPOINT_INTERVAL_MS);
      expect(walProgress(file)).toEqual({ frames, backfilled: frames });
    } finally {
      vi.useRealTimers();
      await delivery?.close();
      await requests.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a background checkpoint under writes that never pause', () => {
  it('past its limit it takes the write turn, copies every frame, and the next write starts the log over', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stockhook-ckpt-turn-'));
    const file = join(dir, 't.db');
    const shared = new SharedArrayBuffer(8);
    const writer = await openStore(file, { checkpoints: 'elsewhere', writeTurn: shared });
    const raw = new SQLite(file);
    const logged: string[] = [];
    const checkpoints = new BackgroundCheckpoints(raw, (msg) => logged.push(msg), { turn: new WriteTurn(shared), catchUpPages: 200 });
    try {
      await sql`create table t (n integer primary key, pad text)`.execute(writer.db);
      await writePages(writer, 300);
      const first = walProgress(file).frames;
      expect(first).toBeGreaterThan(300);
      // The checkpoint's tick comes while the next write is in progress, as it does when writes never
      // pause: it copies back what was committed, finds the log past its limit and asks for the turn.
      await writer.transaction(async (tx) => {
        await insertPages(tx, 10);
        checkpoints.tick();
        expect(walProgress(file)).toEqual({ frames: first, backfilled: first });
        expect(checkpoints.catchingUp).not.toBeNull();
        await insertPages(tx, 10);
      });
      const second = walProgress(file).frames;
      expect(second).toBeGreaterThan(first);
      // This write starts right after the last commit, with no pause for a checkpoint between: it
      // waits for the catch-up's turn, which copied back the second write's frames too.
      await writePages(writer, 10);
      expect(checkpoints.catchingUp).toBeNull();
      const third = walProgress(file).frames;
      // Started over: the log holds this write's frames alone, not the three writes' frames.
      expect(third).toBeLessThan(first);
      expect(third).toBeGreaterThan(10);
      expect(walProgress(file).backfilled).toBe(0);
      expect(logged).toEqual([]);
    } finally {
      checkpoints.stop();
      raw.close();
      await writer.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  /** A database whose log is `log` pages long and fully copied back; the nth checkpoint (1-based) in `failOn` throws. */
  const fakeDb = (log: number, calls: string[], failOn: number[] = []) =>
    ({
      pragma: (text: string) => {
        calls.push(text);
        if (failOn.includes(calls.length)) throw new Error('disk I/O error');
        return [{ busy: 0, log, checkpointed: log }];
      },
    }) as unknown as SQLite.Database;

  /** A turn the test hands over by hand, counting what was asked of it. */
  const handTurn = () => {
    let give = () => {};
    const given = new Promise<void>((resolve) => (give = resolve));
    const turn = { acquired: 0, released: 0, give, acquire: async () => void (turn.acquired++, await given), release: () => void turn.released++ };
    return turn;
  };

  it('below its limit it never takes the turn, and a stopped one no longer checkpoints', () => {
    const calls: string[] = [];
    const turn = handTurn();
    const checkpoints = new BackgroundCheckpoints(fakeDb(199, calls), () => {}, { turn, catchUpPages: 200 });
    checkpoints.tick();
    expect(checkpoints.catchingUp).toBeNull();
    expect(turn.acquired).toBe(0);
    checkpoints.stop();
    checkpoints.tick();
    expect(calls).toEqual(['wal_checkpoint(PASSIVE)']);
  });

  it('a catch-up gives the turn back when done, when stopped meanwhile (without checkpointing), and when its checkpoint fails (logged)', async () => {
    const failure = 'SQLite: a background checkpoint failed (the next one retries)';
    const run = async (opts: { stopWhileWaiting?: boolean; failOn?: number[] }) => {
      const calls: string[] = [];
      const logged: string[] = [];
      const turn = handTurn();
      const checkpoints = new BackgroundCheckpoints(fakeDb(200, calls, opts.failOn), (msg) => logged.push(msg), { turn, catchUpPages: 200 });
      checkpoints.tick();
      const catchingUp = checkpoints.catchingUp;
      expect(catchingUp).not.toBeNull();
      // A tick while it waits for the turn does nothing: one catch-up at a time.
      checkpoints.tick();
      expect(calls).toHaveLength(1);
      if (opts.stopWhileWaiting) checkpoints.stop();
      turn.give();
      await catchingUp;
      expect(checkpoints.catchingUp).toBeNull();
      return { checkpoints: calls.length, logged, acquired: turn.acquired, released: turn.released };
    };
    expect(await run({})).toEqual({ checkpoints: 2, logged: [], acquired: 1, released: 1 });
    expect(await run({ stopWhileWaiting: true })).toEqual({ checkpoints: 1, logged: [], acquired: 1, released: 1 });
    expect(await run({ failOn: [2] })).toEqual({ checkpoints: 2, logged: [failure], acquired: 1, released: 1 });
  });
});

describe('the background checkpoint timer', () => {
  it('logs a checkpoint that failed and checkpoints again on its next tick; auto and elsewhere start no timer', async () => {
    const calls: string[] = [];
    const failure = new Error('disk I/O error');
    const fake = (failFirst: boolean) =>
      ({
        pragma: (text: string) => {
          calls.push(text);
          if (failFirst && text === 'wal_checkpoint(PASSIVE)' && calls.filter((c) => c === text).length === 1) throw failure;
        },
      }) as unknown as SQLite.Database;
    const logged: Array<[string, unknown]> = [];
    const log = (msg: string, err?: unknown) => logged.push([msg, err]);
    configureCheckpoints(fake(false), 'auto', log)();
    configureCheckpoints(fake(false), 'elsewhere', log)();
    expect(calls).toEqual(['wal_autocheckpoint = 0']);
    calls.length = 0;
    const stop = configureCheckpoints(fake(true), 'background', log);
    try {
      await eventually(() => calls.filter((c) => c === 'wal_checkpoint(PASSIVE)').length >= 2, 10_000, 20, 'a checkpoint after the failed one');
    } finally {
      stop();
    }
    expect(calls.slice(0, 3)).toEqual(['wal_autocheckpoint = 0', 'wal_checkpoint(PASSIVE)', 'wal_checkpoint(PASSIVE)']);
    expect(logged).toEqual([['SQLite: a background checkpoint failed (the next one retries)', failure]]);
  });
});

describe('time-ordered ids (UUID v7) for events and deliveries', () => {
  it('are UUIDs of version 7 and variant 10, carrying the millisecond they were made', () => {
    const t = Date.UTC(2026, 11, 2, 13, 0, 0, 123);
    const id = timeOrderedId(t);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(Number.parseInt(id.replaceAll('-', '').slice(0, 12), 16)).toBe(t);
  });

  it('sort by time as strings, and 100,000 made in one millisecond are distinct', () => {
    expect(timeOrderedId(1_000) < timeOrderedId(2_000)).toBe(true);
    expect(timeOrderedId(2 ** 40) < timeOrderedId(2 ** 40 + 1)).toBe(true);
    const ids = new Set(Array.from({ length: 100_000 }, () => timeOrderedId(5)));
    expect(ids.size).toBe(100_000);
  });
});
