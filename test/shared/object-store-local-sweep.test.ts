import t from 'tap';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { ManualClock } from '../../src/shared/clock';
import { LocalObjectStore } from '../../src/shared/object-store-local';

const log = pino({ level: 'silent' });
const HOUR = 3600_000;

function storeRoot(t: { teardown(fn: () => unknown): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'sc-sweep-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'ingress', '.sc-tmp'), { recursive: true });
  return join(dir, 'ingress');
}

/** A temporary file as a write leaves it, last written `ageMs` ago. */
function tmpFile(root: string, name: string, ageMs: number): string {
  const path = join(root, '.sc-tmp', name);
  writeFileSync(path, Buffer.alloc(64 * 1024, 1));
  const at = new Date(Date.now() - ageMs);
  utimesSync(path, at, at);
  return path;
}

t.test('opening a local store removes temporary files of writes that died, and leaves those of live writes', async (t) => {
  const root = storeRoot(t);
  const dead = tmpFile(root, 'killed-mid-copy.tmp', 2 * HOUR);
  // Another process sharing the folder (origin and transcoder) is writing this one right now.
  const live = tmpFile(root, 'in-flight.tmp', 1000);
  const store = new LocalObjectStore({ root, log });
  await store.close();
  t.notOk(existsSync(dead), 'the stale one is gone');
  t.ok(existsSync(live), 'a fresh one is left to its writer');
  const info = await store.putBuffer('a/b.txt', 'hello');
  t.equal(info.size, 5, 'the store still writes');
  t.same(readdirSync(join(root, '.sc-tmp')), ['in-flight.tmp'], 'a completed write leaves no temporary file');
});

t.test('a long-running store sweeps again on a write once enough time has passed', async (t) => {
  const root = storeRoot(t);
  const clock = new ManualClock(Date.now());
  const store = new LocalObjectStore({ root, log, clock });
  await store.close();
  // Left after this store opened (by another process sharing the folder, killed mid-copy long ago).
  const dead = tmpFile(root, 'killed-later.tmp', 2 * HOUR);
  await store.putBuffer('x.txt', 'x');
  await store.close();
  t.ok(existsSync(dead), 'writes do not look at the folder every time');
  clock.advance(11 * 60_000);
  await store.putBuffer('y.txt', 'y');
  await store.close();
  t.notOk(existsSync(dead), 'removed on a write once it is stale');
});
