import { createHash, randomBytes } from 'node:crypto';
import { accessSync, constants, createReadStream, createWriteStream, mkdirSync } from 'node:fs';
import { link, mkdir, open, readdir, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { systemClock, type Clock } from './clock';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { contentTypeForKey } from './content-type';
import { SpherecastError, isScError } from './errors';
import type { Logger } from './logger';
import { assertObjectKey, assertObjectPrefix } from './object-key';
import type { ObjectInfo, ObjectStore, PutOptions } from './object-store';

/** Temporary files live under the root (same filesystem, so rename is atomic) in this folder. */
const TMP_DIR = '.sc-tmp';
/**
 * A temporary file nobody wrote to for this long belongs to a write that died (a process killed
 * mid-copy): a live write streams into it, so its modification time keeps moving until the rename,
 * which follows within seconds. Several processes may share a store (origin and transcoder on one
 * folder), so a store cannot simply empty the folder when it opens: another's write may be under
 * way. An hour is far beyond any pause of a live write, also on a network filesystem.
 */
const STALE_TMP_MS = 60 * 60 * 1000;
/** Besides when the store opens, stale temporary files are looked for at most this often, on a write. */
const SWEEP_EVERY_MS = 10 * 60 * 1000;

export interface LocalObjectStoreOptions {
  /** Absolute folder standing in for the bucket; created if missing. */
  readonly root: string;
  readonly log: Logger;
  /** Compared with temporary files' modification times (tests inject a ManualClock). */
  readonly clock?: Clock;
}

/**
 * A folder used as a bucket: key `a/b.mp4` is the file `<root>/a/b.mp4`. Writes go to a temporary
 * file that is fsynced, verified (size and MD5 against the source) and renamed into place, so a
 * reader never sees a partial object and a crash leaves either the old or the new one.
 *
 * Content-Type is derived from the key's extension (content-type.ts) rather than kept in a sidecar:
 * a folder has no per-object metadata, sidecars would need their own crash consistency, and every
 * key spherecast writes has a telling extension. Cache-Control is accepted and ignored.
 */
export class LocalObjectStore implements ObjectStore {
  readonly location: string;
  readonly bucket: string;
  private readonly root: string;
  private readonly log: Logger;
  private readonly clock: Clock;
  private lastSweep: number;
  private sweeping: Promise<void>;
  /** This store's own writes under way: never stale, whatever the clocks say. */
  private readonly writing = new Set<string>();

  constructor(opts: LocalObjectStoreOptions) {
    this.root = opts.root.replace(/\/+$/, '') || '/';
    this.location = `file://${this.root}`;
    this.bucket = basename(this.root) || 'root';
    this.log = opts.log.child({ component: 'object-store-local', location: this.location });
    try {
      mkdirSync(join(this.root, TMP_DIR), { recursive: true });
      accessSync(this.root, constants.W_OK);
    } catch (err) {
      throw storeError(this.location, `cannot use folder ${this.root}`, err);
    }
    this.clock = opts.clock ?? systemClock;
    this.lastSweep = this.clock.now();
    this.sweeping = this.sweepStaleTemp();
  }

  /** Removes what writes that died left in the temporary folder (see STALE_TMP_MS). */
  private async sweepStaleTemp(): Promise<void> {
    const dir = join(this.root, TMP_DIR);
    const cutoff = this.clock.now() - STALE_TMP_MS;
    let removed = 0;
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      const path = join(dir, name);
      if (this.writing.has(path)) continue;
      const st = await stat(path).catch(() => undefined);
      if (!st?.isFile() || st.mtimeMs >= cutoff) continue;
      if (await unlink(path).then(() => true, () => false)) removed++;
    }
    if (removed) this.log.warn({ removed }, 'removed temporary files of writes that died (a process killed mid-copy)');
  }

  /** The key an S3 event for this object carries (local stores have no prefix). */
  bucketKey(key: string): string {
    return key;
  }

  async putFile(key: string, localPath: string, opts: PutOptions = {}): Promise<ObjectInfo> {
    this.checkKey(key);
    let source;
    try {
      source = await stat(localPath);
    } catch (err) {
      throw storeError(this.location, `cannot read ${localPath} for ${key}`, err);
    }
    return this.write(key, opts, async (tmpPath) => {
      const md5 = createHash('md5');
      await pipeline(createReadStream(localPath), hashing(md5), createWriteStream(tmpPath, { flags: 'wx', mode: 0o644 }));
      return { size: source.size, md5: md5.digest('hex') };
    });
  }

  async putBuffer(key: string, body: Buffer | string, opts: PutOptions = {}): Promise<ObjectInfo> {
    this.checkKey(key);
    const buf = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    return this.write(key, opts, async (tmpPath) => {
      await writeFile(tmpPath, buf, { flag: 'wx', mode: 0o644 });
      return { size: buf.length, md5: createHash('md5').update(buf).digest('hex') };
    });
  }

  /** link(2) fails with EEXIST when the name exists, atomically, also between processes: a create that one caller wins. */
  async createBuffer(key: string, body: Buffer | string, _opts: PutOptions = {}): Promise<boolean> {
    this.checkKey(key);
    const path = this.pathOf(key);
    const tmpPath = join(this.root, TMP_DIR, `${randomBytes(8).toString('hex')}.tmp`);
    this.writing.add(tmpPath);
    try {
      await writeFile(tmpPath, body, { flag: 'wx', mode: 0o644 });
      await fsyncPath(tmpPath);
      await mkdir(dirname(path), { recursive: true });
      try {
        await link(tmpPath, path);
      } catch (err) {
        if (errno(err) === 'EEXIST') return false;
        throw err;
      }
      await fsyncPath(dirname(path));
      return true;
    } catch (err) {
      throw storeError(this.location, `create ${key}`, err);
    } finally {
      await unlink(tmpPath).catch(() => undefined);
      this.writing.delete(tmpPath);
    }
  }

  async getToFile(key: string, localPath: string): Promise<ObjectInfo> {
    this.checkKey(key);
    const path = this.pathOf(key);
    const tmpPath = `${localPath}.${randomBytes(6).toString('hex')}.part`;
    const md5 = createHash('md5');
    try {
      await mkdir(dirname(localPath), { recursive: true });
      const st = await stat(path);
      if (!st.isFile()) throw new SpherecastError('SC_ERR_NOT_FOUND', [`${this.location}/${key}`]);
      await pipeline(createReadStream(path), hashing(md5), createWriteStream(tmpPath, { flags: 'wx' }));
      await fsyncPath(tmpPath);
      // What was copied, in case the object was replaced between stat and read.
      const size = (await stat(tmpPath)).size;
      await rename(tmpPath, localPath);
      return { key, size, etag: md5.digest('hex'), lastModified: st.mtime, contentType: contentTypeForKey(key) };
    } catch (err) {
      await unlink(tmpPath).catch(() => undefined);
      if (isScError(err)) throw err;
      if (errno(err) === 'ENOENT' && !(await exists(path))) {
        throw new SpherecastError('SC_ERR_NOT_FOUND', [`${this.location}/${key}`]);
      }
      throw storeError(this.location, `get ${key} to ${localPath}`, err);
    }
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    this.checkKey(key);
    try {
      const st = await stat(this.pathOf(key));
      if (!st.isFile()) return undefined;
      return { key, size: st.size, lastModified: st.mtime, contentType: contentTypeForKey(key) };
    } catch (err) {
      if (errno(err) === 'ENOENT' || errno(err) === 'ENOTDIR') return undefined;
      throw storeError(this.location, `head ${key}`, err);
    }
  }

  /** Keys under `prefix` (a plain string prefix, as in S3), in key order. */
  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    assertObjectPrefix(prefix);
    // Walk only the deepest folder the prefix fully names; filter the rest by string prefix.
    const slash = prefix.lastIndexOf('/');
    const startRel = slash >= 0 ? prefix.slice(0, slash) : '';
    const found: ObjectInfo[] = [];
    const walk = async (rel: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(rel ? join(this.root, rel) : this.root, { withFileTypes: true });
      } catch (err) {
        if (errno(err) === 'ENOENT' || errno(err) === 'ENOTDIR') return;
        throw storeError(this.location, `list ${prefix}`, err);
      }
      for (const e of entries) {
        const key = rel ? `${rel}/${e.name}` : e.name;
        if (!rel && e.name === TMP_DIR) continue;
        if (e.isDirectory()) {
          if (key.startsWith(prefix) || prefix.startsWith(`${key}/`)) await walk(key);
        } else if (e.isFile() && key.startsWith(prefix)) {
          const st = await stat(join(this.root, key)).catch(() => undefined);
          if (st) found.push({ key, size: st.size, lastModified: st.mtime, contentType: contentTypeForKey(key) });
        }
      }
    };
    await walk(startRel);
    found.sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)));
    yield* found;
  }

  async delete(key: string): Promise<void> {
    this.checkKey(key);
    try {
      await unlink(this.pathOf(key));
    } catch (err) {
      if (errno(err) === 'ENOENT' || errno(err) === 'ENOTDIR') return;
      throw storeError(this.location, `delete ${key}`, err);
    }
  }

  async close(): Promise<void> {
    await this.sweeping;
  }

  private checkKey(key: string): void {
    assertObjectKey(key);
    if (key === TMP_DIR || key.startsWith(`${TMP_DIR}/`)) {
      throw new SpherecastError('SC_ERR_BAD_PATH', [`object key ${JSON.stringify(key)} uses the reserved folder ${TMP_DIR}`]);
    }
  }

  private pathOf(key: string): string {
    return join(this.root, ...key.split('/'));
  }

  /**
   * Writes through `fill` into a temporary file, fsyncs it, re-reads it to check size and MD5
   * against what the source had, then renames it over the key and fsyncs the folder.
   */
  private async write(
    key: string,
    opts: PutOptions,
    fill: (tmpPath: string) => Promise<{ size: number; md5: string }>,
  ): Promise<ObjectInfo> {
    const path = this.pathOf(key);
    if (this.clock.now() - this.lastSweep >= SWEEP_EVERY_MS) {
      this.lastSweep = this.clock.now();
      this.sweeping = this.sweeping.then(() => this.sweepStaleTemp());
    }
    const tmpPath = join(this.root, TMP_DIR, `${randomBytes(8).toString('hex')}.tmp`);
    this.writing.add(tmpPath);
    try {
      const expected = await fill(tmpPath);
      await fsyncPath(tmpPath);
      const written = await md5OfFile(tmpPath);
      if (written.size !== expected.size || written.md5 !== expected.md5) {
        throw new SpherecastError('SC_ERR_STORE_VERIFY', [
          `${this.location}/${key}`,
          `wrote ${written.size} bytes md5 ${written.md5}, source has ${expected.size} bytes md5 ${expected.md5}`,
        ]);
      }
      await mkdir(dirname(path), { recursive: true });
      await rename(tmpPath, path);
      await fsyncPath(dirname(path));
      const st = await stat(path);
      this.log.debug({ key, size: st.size }, 'stored');
      const contentType = contentTypeForKey(key);
      if (opts.contentType && opts.contentType !== contentType) {
        this.log.debug({ key, asked: opts.contentType, contentType }, 'local store derives content type from the extension');
      }
      return { key, size: st.size, etag: expected.md5, lastModified: st.mtime, contentType };
    } catch (err) {
      await unlink(tmpPath).catch(() => undefined);
      if (isScError(err)) throw err;
      throw storeError(this.location, `put ${key}`, err);
    } finally {
      this.writing.delete(tmpPath);
    }
  }
}

function hashing(hash: ReturnType<typeof createHash>): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      cb(null, chunk);
    },
  });
}

async function md5OfFile(path: string): Promise<{ size: number; md5: string }> {
  const h = createHash('md5');
  let size = 0;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    h.update(chunk);
    size += chunk.length;
  }
  return { size, md5: h.digest('hex') };
}

/** fsync(2) through a fresh descriptor: it flushes the inode whoever wrote it (files and folders). */
async function fsyncPath(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

function errno(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/** SC_ERR_STORE with the OS reason spelled out (ENOSPC -> "no space left on device"). */
function storeError(location: string, what: string, err: unknown): SpherecastError {
  const code = errno(err);
  const reason =
    code === 'ENOSPC'
      ? 'no space left on device'
      : code === 'EACCES' || code === 'EPERM'
        ? 'permission denied'
        : code === 'EROFS'
          ? 'read-only filesystem'
          : (err as Error)?.message ?? String(err);
  return new SpherecastError('SC_ERR_STORE', [location, `${what}: ${reason}${code ? ` (${code})` : ''}`], { cause: err });
}
