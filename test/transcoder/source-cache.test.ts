// The worker's source cache on a real local store: downloads are counted on the store itself.
import t, { type Test } from 'tap';
import { existsSync, mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger } from '../../src/shared/logger';
import { LocalObjectStore } from '../../src/shared/object-store-local';
import type { ObjectInfo } from '../../src/shared/object-store';
import { SourceCache, sourceFingerprint } from '../../src/transcoder/source-cache';
import { tempDir } from './harness';

const log = createLogger({ level: 'silent', name: 'test' });

/** A local store whose downloads are counted (and can be made to fail or to wait). */
class CountingStore extends LocalObjectStore {
  downloads = 0;
  failNext = false;
  gate: Promise<void> | undefined;
  override async getToFile(key: string, localPath: string): Promise<ObjectInfo> {
    this.downloads++;
    if (this.gate) await this.gate;
    if (this.failNext) {
      this.failNext = false;
      throw new Error('store down');
    }
    return super.getToFile(key, localPath);
  }
}

async function rig(t: Test) {
  const dir = tempDir(t, 'source-cache');
  const store = new CountingStore({ root: join(dir, 'ingress'), log });
  const cacheDir = join(dir, 'scratch', 'sources');
  const cache = new SourceCache({ dir: cacheDir, store, log });
  await cache.start();
  t.teardown(() => cache.close());
  /** The copies on disk now, over every process's folder. */
  const files = () => (existsSync(cacheDir) ? readdirSync(cacheDir).flatMap((d) => readdirSync(join(cacheDir, d))) : []);
  return { dir, store, cache, cacheDir, files };
}

t.test('the tasks of one source download it once; the copy is the object', async (t) => {
  const { store, cache, files } = await rig(t);
  await store.putBuffer('rec/a.mp4', 'A'.repeat(1000));
  const one = await cache.acquire('rec/a.mp4');
  one.release();
  const two = await cache.acquire('rec/a.mp4');
  t.equal(store.downloads, 1, 'one download for two tasks');
  t.equal(two.path, one.path);
  t.equal(readFileSync(two.path, 'utf8'), 'A'.repeat(1000));
  t.match(two.path, /\.mp4$/, 'the extension is kept (ffmpeg and the container check see it)');
  t.equal(two.info.size, 1000);
  two.release();
  t.equal(files().length, 1, 'the last source is kept while idle');
});

t.test('concurrent requests for one source share one download', async (t) => {
  const { store, cache } = await rig(t);
  await store.putBuffer('rec/b.mp4', 'B'.repeat(5000));
  let open!: () => void;
  store.gate = new Promise((r) => (open = r));
  const pending = [cache.acquire('rec/b.mp4'), cache.acquire('rec/b.mp4'), cache.acquire('rec/b.mp4')];
  await new Promise((r) => setTimeout(r, 50));
  open();
  const held = await Promise.all(pending);
  t.equal(store.downloads, 1);
  t.same(new Set(held.map((h) => h.path)).size, 1);
  for (const h of held) h.release();
});

t.test('a replaced object is downloaded again; the old copy goes once its last user is done', async (t) => {
  const { store, cache, files } = await rig(t);
  await store.putBuffer('rec/c.mp4', 'old');
  const old = await cache.acquire('rec/c.mp4');
  await store.putBuffer('rec/c.mp4', 'newer bytes');
  const fresh = await cache.acquire('rec/c.mp4');
  t.equal(store.downloads, 2);
  t.equal(readFileSync(fresh.path, 'utf8'), 'newer bytes');
  t.equal(readFileSync(old.path, 'utf8'), 'old', 'a task still using the old copy keeps it');
  old.release();
  await new Promise((r) => setTimeout(r, 50));
  t.notOk(existsSync(old.path), 'then it is deleted');
  t.same(files().length, 1);
  fresh.release();
});

t.test('same size, new modification time: downloaded again (the fingerprint covers more than the size)', async (t) => {
  const { dir, store, cache } = await rig(t);
  await store.putBuffer('rec/d.mp4', 'same');
  (await cache.acquire('rec/d.mp4')).release();
  writeFileSync(join(dir, 'ingress', 'rec', 'd.mp4'), 'SAME');
  utimesSync(join(dir, 'ingress', 'rec', 'd.mp4'), new Date(), new Date(Date.now() + 5000));
  const again = await cache.acquire('rec/d.mp4');
  t.equal(store.downloads, 2);
  t.equal(readFileSync(again.path, 'utf8'), 'SAME');
  again.release();
  t.not(sourceFingerprint({ size: 4, lastModified: new Date(1) }), sourceFingerprint({ size: 4, lastModified: new Date(2) }));
  t.not(sourceFingerprint({ size: 4, etag: 'a' }), sourceFingerprint({ size: 4, etag: 'b' }));
});

t.test('another source evicts idle copies, never one in use', async (t) => {
  const { store, cache, files } = await rig(t);
  await store.putBuffer('rec/e.mp4', 'E');
  await store.putBuffer('rec/f.mp4', 'F');
  await store.putBuffer('rec/g.mp4', 'G');
  const e = await cache.acquire('rec/e.mp4');
  const f = await cache.acquire('rec/f.mp4');
  f.release();
  const g = await cache.acquire('rec/g.mp4');
  t.ok(existsSync(e.path), 'in use: kept');
  t.notOk(existsSync(f.path), 'idle: deleted before the next download');
  t.equal(files().length, 2);
  e.release();
  g.release();
});

t.test('a failed download fails its request, leaves no file, and the next request tries again', async (t) => {
  const { store, cache, files } = await rig(t);
  await store.putBuffer('rec/h.mp4', 'H');
  store.failNext = true;
  await t.rejects(cache.acquire('rec/h.mp4'), /store down/);
  t.same(files(), []);
  const h = await cache.acquire('rec/h.mp4');
  t.equal(readFileSync(h.path, 'utf8'), 'H');
  t.equal(store.downloads, 2);
  h.release();
});

t.test('missing and empty objects are refused without a download', async (t) => {
  const { store, cache } = await rig(t);
  await t.rejects(cache.acquire('rec/none.mp4'), { code: 'SC_ERR_NOT_FOUND' });
  await store.putBuffer('rec/empty.mp4', '');
  await t.rejects(cache.acquire('rec/empty.mp4'), { code: 'SC_ERR_MEDIA' });
  t.equal(store.downloads, 0);
});

t.test('start() deletes what dead workers left, not a live worker\'s folder; close() deletes its own', async (t) => {
  const dir = tempDir(t, 'source-cache-start');
  const store = new CountingStore({ root: join(dir, 'ingress'), log });
  const cacheDir = join(dir, 'sources');
  // A pid far above pid_max is never alive; the parent of this test (the runner) is.
  mkdirSync(join(cacheDir, '99999999-dead'), { recursive: true });
  writeFileSync(join(cacheDir, '99999999-dead', '1.mp4'), 'torn');
  mkdirSync(join(cacheDir, `${process.ppid}-alive`), { recursive: true });
  mkdirSync(join(cacheDir, 'not-a-cache'), { recursive: true });
  const cache = new SourceCache({ dir: cacheDir, store, log });
  await cache.start();
  const left = readdirSync(cacheDir).sort();
  t.notOk(left.includes('99999999-dead'));
  t.notOk(left.includes('not-a-cache'));
  t.ok(left.includes(`${process.ppid}-alive`));
  t.ok(left.some((d) => d.startsWith(`${process.pid}-`)), 'its own folder');
  await store.putBuffer('rec/i.mp4', 'I');
  (await cache.acquire('rec/i.mp4')).release();
  await cache.close();
  t.same(readdirSync(cacheDir), [`${process.ppid}-alive`]);
});

t.test('release({ keep: false }) deletes the copy once its last user is done; the next request downloads again', async (t) => {
  const { store, cache, files } = await rig(t);
  await store.putBuffer('rec/j.mp4', 'J');
  const a = await cache.acquire('rec/j.mp4');
  const b = await cache.acquire('rec/j.mp4');
  a.release({ keep: false });
  t.ok(existsSync(b.path), 'still in use: kept');
  b.release();
  await new Promise((r) => setTimeout(r, 50));
  t.same(files(), [], 'gone once unused');
  (await cache.acquire('rec/j.mp4')).release();
  t.equal(store.downloads, 2);
});
