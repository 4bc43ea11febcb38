import t, { type Test } from 'tap';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { isScError } from '../../src/shared/errors';
import { createLogger } from '../../src/shared/logger';
import type { ObjectInfo, ObjectStore } from '../../src/shared/object-store';
import { LocalObjectStore } from '../../src/shared/object-store-local';
import { MIN_PART_SIZE, S3ObjectStore } from '../../src/shared/object-store-s3';
import { retry } from '../../src/shared/retry';
import { startS3rver, type S3rverProcess } from '../fixtures/s3rver-process';

const log = createLogger({ level: 'silent', name: 'test' });
const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');

function tempDir(t: Tap, name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `sc-${name}-`));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
type Tap = Test;

async function collect(it: AsyncIterable<ObjectInfo>): Promise<ObjectInfo[]> {
  const out = [];
  for await (const o of it) out.push(o);
  return out;
}

async function rejectsWith(t: Tap, p: Promise<unknown>, code: Parameters<typeof isScError>[1], msg: string): Promise<unknown> {
  try {
    await p;
    t.fail(`${msg}: resolved`);
    return undefined;
  } catch (err) {
    t.ok(isScError(err, code), `${msg}: ${code} (got ${(err as Error).message})`);
    return err;
  }
}

// s3rver runs in a child process with --openssl-legacy-provider (see fixtures/s3rver-server.cjs):
// its paginated ListObjectsV2 encrypts continuation tokens with DES.
let s3: S3rverProcess;
t.before(async () => {
  s3 = await startS3rver({ directory: mkdtempSync(join(tmpdir(), 'sc-s3rver-')) });
});
t.teardown(async () => {
  await s3?.stop();
});

interface Impl {
  readonly name: string;
  /** A fresh, empty store. */
  make(t: Tap): ObjectStore;
}

const impls: Impl[] = [
  {
    name: 'local',
    make: (t) => new LocalObjectStore({ root: join(tempDir(t, 'store'), 'ingress'), log }),
  },
  {
    name: 's3',
    make: (t) => {
      const store = new S3ObjectStore({
        bucket: 'ingress',
        prefix: `t-${randomBytes(6).toString('hex')}`,
        endpoint: s3.endpoint,
        region: 'us-east-1',
        credentials,
        log,
        partSize: MIN_PART_SIZE,
        // Small pages so listing exercises continuation tokens.
        listPageSize: 2,
      });
      t.teardown(() => store.close());
      return store;
    },
  },
];

for (const impl of impls) {
  t.test(`${impl.name}: putBuffer then head reports size, MD5 ETag and content type`, async (t) => {
    const store = impl.make(t);
    const body = Buffer.from('#EXTM3U\n#EXT-X-VERSION:3\n');
    const put = await store.putBuffer('live/a/index.m3u8', body, { contentType: 'application/vnd.apple.mpegurl', cacheControl: 'max-age=1' });
    t.equal(put.key, 'live/a/index.m3u8');
    t.equal(put.size, body.length);
    t.equal(put.etag, md5(body));
    const head = await store.head('live/a/index.m3u8');
    t.equal(head?.size, body.length);
    t.equal(head?.contentType, 'application/vnd.apple.mpegurl');
    t.equal(await store.head('live/a/missing.m3u8'), undefined, 'missing object is undefined');
  });

  t.test(`${impl.name}: putFile then getToFile returns the same bytes`, async (t) => {
    const store = impl.make(t);
    const dir = tempDir(t, 'files');
    const src = join(dir, 'src.mp4');
    const data = randomBytes(300_000);
    writeFileSync(src, data);
    const put = await store.putFile('rec/cam-1700000000.mp4', src, { contentType: 'video/mp4' });
    t.equal(put.size, data.length);
    t.equal(put.etag, md5(data));
    const dst = join(dir, 'out', 'copy.mp4');
    const got = await store.getToFile('rec/cam-1700000000.mp4', dst);
    t.equal(got.size, data.length);
    t.ok(readFileSync(dst).equals(data), 'same bytes');
    t.same(readdirSync(join(dir, 'out')), ['copy.mp4'], 'no temporary file left behind');
  });

  t.test(`${impl.name}: a file larger than the part size goes up multipart and verifies`, async (t) => {
    const store = impl.make(t);
    const dir = tempDir(t, 'big');
    const src = join(dir, 'big.mp4');
    const data = randomBytes(2 * MIN_PART_SIZE + 12345); // three parts of 5 MiB
    writeFileSync(src, data);
    const put = await store.putFile('rec/big.mp4', src);
    t.equal(put.size, data.length);
    const head = await store.head('rec/big.mp4');
    t.equal(head?.size, data.length);
    const dst = join(dir, 'back.mp4');
    await store.getToFile('rec/big.mp4', dst);
    t.equal(md5(readFileSync(dst)), md5(data), 'round trip intact');
  });

  t.test(`${impl.name}: content type comes from the options or the extension`, async (t) => {
    const store = impl.make(t);
    await store.putBuffer('v/seg0.ts', Buffer.alloc(188), { contentType: 'video/mp2t' });
    await store.putBuffer('v/rec.mp4', Buffer.alloc(10));
    t.equal((await store.head('v/seg0.ts'))?.contentType, 'video/mp2t');
    t.equal((await store.head('v/rec.mp4'))?.contentType, 'video/mp4');
  });

  t.test(`${impl.name}: keys with spaces, unicode, + and % work everywhere`, async (t) => {
    const store = impl.make(t);
    const dir = tempDir(t, 'keys');
    const keys = ['rec/my stream/take 1.mp4', 'rec/ünïcödé/雪 ❄️.mp4', 'rec/a+b=c&d.mp4', 'rec/100%/x%20y.mp4'];
    for (const [i, key] of keys.entries()) {
      await store.putBuffer(key, `body ${i}`);
      t.equal((await store.head(key))?.size, `body ${i}`.length, `head ${key}`);
      const out = join(dir, `out-${i}`);
      await store.getToFile(key, out);
      t.equal(readFileSync(out, 'utf8'), `body ${i}`, `get ${key}`);
    }
    const listed = (await collect(store.list('rec/'))).map((o) => o.key);
    t.same(listed.sort(), [...keys].sort(), 'list returns the exact keys');
    t.equal(await store.head('rec/a b=c&d.mp4'), undefined, '+ is not a space');
    for (const key of keys) await store.delete(key);
    t.same(await collect(store.list('rec/')), [], 'all deleted');
  });

  t.test(`${impl.name}: list is recursive, in key order, and filters by string prefix`, async (t) => {
    const store = impl.make(t);
    const keys = ['live/a/1.ts', 'live/a/2.ts', 'live/ab/1.ts', 'live/b/x/y/z.ts', 'other.txt', 'live/a1.txt'];
    for (const key of keys) await store.putBuffer(key, key);
    t.same((await collect(store.list(''))).map((o) => o.key), [...keys].sort(), 'everything');
    t.same((await collect(store.list('live/a'))).map((o) => o.key), ['live/a/1.ts', 'live/a/2.ts', 'live/a1.txt', 'live/ab/1.ts']);
    t.same((await collect(store.list('live/a/'))).map((o) => o.key), ['live/a/1.ts', 'live/a/2.ts']);
    t.same((await collect(store.list('live/b/'))).map((o) => o.key), ['live/b/x/y/z.ts']);
    t.same(await collect(store.list('nothing/')), []);
    const one = (await collect(store.list('other'))).at(0);
    t.equal(one?.size, 'other.txt'.length, 'listing carries sizes');
  });

  t.test(`${impl.name}: delete removes, and deleting a missing key is fine`, async (t) => {
    const store = impl.make(t);
    await store.putBuffer('d/x.json', '{}');
    await store.delete('d/x.json');
    t.equal(await store.head('d/x.json'), undefined);
    await store.delete('d/x.json');
    await store.delete('never/was.json');
    t.pass('idempotent');
  });

  t.test(`${impl.name}: putting a key again replaces the object`, async (t) => {
    const store = impl.make(t);
    await store.putBuffer('o/v.txt', 'first version');
    await store.putBuffer('o/v.txt', 'second');
    const dir = tempDir(t, 'ow');
    await store.getToFile('o/v.txt', join(dir, 'v.txt'));
    t.equal(readFileSync(join(dir, 'v.txt'), 'utf8'), 'second');
  });

  t.test(`${impl.name}: createBuffer writes once: true when it created the object, false (content untouched) when it was there`, async (t) => {
    const store = impl.make(t);
    t.equal(await store.createBuffer('once/published', 'first'), true);
    t.equal(await store.createBuffer('once/published', 'second'), false);
    const dir = tempDir(t, 'once');
    await store.getToFile('once/published', join(dir, 'p'));
    t.equal(readFileSync(join(dir, 'p'), 'utf8'), 'first');
  });

  t.test(`${impl.name}: getToFile of a missing key is SC_ERR_NOT_FOUND and writes nothing`, async (t) => {
    const store = impl.make(t);
    const dir = tempDir(t, 'nf');
    await rejectsWith(t, store.getToFile('no/such.mp4', join(dir, 'x.mp4')), 'SC_ERR_NOT_FOUND', 'missing');
    t.same(readdirSync(dir), [], 'no partial file');
  });

  t.test(`${impl.name}: bad keys are refused with SC_ERR_BAD_PATH`, async (t) => {
    const store = impl.make(t);
    for (const key of ['', '../escape.mp4', 'a/../../b.mp4', '/abs.mp4', 'a//b.mp4', 'dir/', 'nul\0.mp4', 'cr\r.mp4', './x.mp4']) {
      await rejectsWith(t, store.putBuffer(key, 'x'), 'SC_ERR_BAD_PATH', `put ${JSON.stringify(key)}`);
      await rejectsWith(t, store.head(key), 'SC_ERR_BAD_PATH', `head ${JSON.stringify(key)}`);
    }
    await rejectsWith(t, collect(store.list('../')), 'SC_ERR_BAD_PATH', 'list ../');
  });

  t.test(`${impl.name}: putFile of a missing local file is SC_ERR_STORE naming it`, async (t) => {
    const store = impl.make(t);
    const err = await rejectsWith(t, store.putFile('x.mp4', '/nonexistent/dir/x.mp4'), 'SC_ERR_STORE', 'missing source');
    t.match((err as Error)?.message, /\/nonexistent\/dir\/x\.mp4/);
  });
}

t.test('local: objects are plain files under the folder; bucket is the folder name', async (t) => {
  const root = join(tempDir(t, 'plain'), 'ingress');
  const store = new LocalObjectStore({ root, log });
  t.equal(store.bucket, 'ingress');
  t.equal(store.location, `file://${root}`);
  await store.putBuffer('a b/ü.mp4', 'x');
  t.equal(readFileSync(join(root, 'a b', 'ü.mp4'), 'utf8'), 'x');
  t.same(readdirSync(join(root, '.sc-tmp')), [], 'temporary files are renamed away');
  await rejectsWith(t, store.putBuffer('.sc-tmp/x', 'x'), 'SC_ERR_BAD_PATH', 'reserved folder');
  t.notOk(existsSync(join(root, '..', 'escape.mp4')));
});

t.test('local: of 16 createBuffer calls racing on one key through two stores, exactly one creates it', async (t) => {
  const root = join(tempDir(t, 'race'), 'egress');
  const stores = [new LocalObjectStore({ root, log }), new LocalObjectStore({ root, log })];
  const won = await Promise.all(Array.from({ length: 16 }, (_, i) => stores[i % 2].createBuffer('job/published', `writer ${i}`)));
  t.equal(won.filter(Boolean).length, 1);
  t.equal(readFileSync(join(root, 'job', 'published'), 'utf8'), `writer ${won.indexOf(true)}`, 'the winner\'s bytes');
  t.same(readdirSync(join(root, '.sc-tmp')), [], 'no temporary file left');
});

t.test('local: a folder that cannot be created is a clear SC_ERR_STORE at construction', async (t) => {
  const dir = tempDir(t, 'blocked');
  writeFileSync(join(dir, 'file'), 'not a folder');
  t.throws(() => new LocalObjectStore({ root: join(dir, 'file', 'ingress'), log }), { code: 'SC_ERR_STORE', message: /cannot use folder/ });
});

t.test('s3: Cache-Control and Content-Type are set on the object', async (t) => {
  const store = impls[1].make(t) as S3ObjectStore;
  await store.putBuffer('cc/index.m3u8', '#EXTM3U\n', { contentType: 'application/vnd.apple.mpegurl', cacheControl: 'max-age=2' });
  const client = new S3Client({ endpoint: s3.endpoint, region: 'us-east-1', credentials, forcePathStyle: true });
  t.teardown(() => client.destroy());
  const head = await client.send(new HeadObjectCommand({ Bucket: 'ingress', Key: store.bucketKey('cc/index.m3u8') }));
  t.equal(head.CacheControl, 'max-age=2');
  t.equal(head.ContentType, 'application/vnd.apple.mpegurl');
});

/** An HTTP proxy to s3rver that records requests and, when `corrupt`, flips the first byte of every PUT body. */
async function proxy(t: Tap, target: number, corrupt: boolean): Promise<{ endpoint: string; requests: string[] }> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (corrupt && req.method === 'PUT' && body.length > 0) body[0] ^= 0xff;
      const up = request({ host: '127.0.0.1', port: target, method: req.method, path: req.url, headers: req.headers }, (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      });
      up.on('error', () => res.destroy());
      up.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { endpoint: `http://127.0.0.1:${(server.address() as { port: number }).port}`, requests };
}

t.test('s3: files above the part size go up as parts of exactly that size', async (t) => {
  const { endpoint, requests } = await proxy(t, s3.port, false);
  const store = new S3ObjectStore({ bucket: 'ingress', prefix: 'parts', endpoint, credentials, log, partSize: MIN_PART_SIZE });
  t.teardown(() => store.close());
  const dir = tempDir(t, 'parts');
  writeFileSync(join(dir, 'small.mp4'), randomBytes(MIN_PART_SIZE));
  await store.putFile('small.mp4', join(dir, 'small.mp4'));
  t.equal(requests.filter((r) => r.includes('partNumber=')).length, 0, 'exactly one part size: a single PUT');
  writeFileSync(join(dir, 'big.mp4'), randomBytes(2 * MIN_PART_SIZE + 1));
  await store.putFile('big.mp4', join(dir, 'big.mp4'));
  t.equal(requests.filter((r) => r.startsWith('PUT') && r.includes('partNumber=')).length, 3, 'three UploadPart requests');
  t.ok(requests.some((r) => r.startsWith('POST') && r.includes('uploadId=')), 'CompleteMultipartUpload');
});

t.test('s3: an upload the store corrupts fails verification with SC_ERR_STORE_VERIFY', async (t) => {
  const { endpoint } = await proxy(t, s3.port, true);
  const store = new S3ObjectStore({ bucket: 'ingress', prefix: 'corrupt', endpoint, credentials, log, partSize: MIN_PART_SIZE });
  t.teardown(() => store.close());
  const dir = tempDir(t, 'corrupt');
  writeFileSync(join(dir, 'small.mp4'), randomBytes(1000));
  const err = await rejectsWith(t, store.putFile('small.mp4', join(dir, 'small.mp4')), 'SC_ERR_STORE_VERIFY', 'single part');
  t.match((err as Error)?.message, /ETag/);
  writeFileSync(join(dir, 'big.mp4'), randomBytes(MIN_PART_SIZE + 1000));
  await rejectsWith(t, store.putFile('big.mp4', join(dir, 'big.mp4')), 'SC_ERR_STORE_VERIFY', 'multipart');
});

t.test('s3: store down fails with SC_ERR_STORE; the retried upload succeeds once it is back', async (t) => {
  const directory = tempDir(t, 's3down');
  let server: S3rverProcess | undefined = await startS3rver({ directory });
  const port = server.port;
  t.teardown(() => server?.stop());
  const store = new S3ObjectStore({ bucket: 'ingress', endpoint: server.endpoint, credentials, log, maxAttempts: 2 });
  t.teardown(() => store.close());
  const src = join(directory, '..', `${randomBytes(4).toString('hex')}.mp4`);
  const data = randomBytes(50_000);
  writeFileSync(src, data);
  t.teardown(() => rmSync(src, { force: true }));

  await server.stop();
  server = undefined;
  const err = await rejectsWith(t, store.putFile('rec/down.mp4', src), 'SC_ERR_STORE', 'upload while down');
  t.match((err as Error)?.message, /s3:\/\/ingress/, 'names the store');

  // The caller's retry loop: the store comes back during the backoff wait.
  let attempts = 0;
  const info = await retry(
    async () => {
      attempts++;
      return store.putFile('rec/down.mp4', src);
    },
    {
      attempts: 5,
      baseMs: 10,
      maxMs: 10,
      retryable: (e) => isScError(e, 'SC_ERR_STORE'),
      sleep: async () => {
        server ??= await startS3rver({ directory, port });
      },
    },
  );
  t.equal(attempts, 2, 'failed once more, then succeeded after the restart');
  t.equal(info.etag, md5(data));
  t.equal((await store.head('rec/down.mp4'))?.size, data.length);
});
