import { mkdir, mkdtemp, readdir, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../shared/logger';
import type { ObjectInfo, ObjectStore } from '../shared/object-store';
import { SpherecastError } from '../shared/errors';
import { extensionOf } from './source-key';

/** A downloaded recording, held until `release()`; its file must not be changed. */
export interface HeldSource {
  readonly path: string;
  readonly info: ObjectInfo;
  /** `keep: false`: no later task will want it (a job done in one run), so it goes once unused. */
  release(opts?: { keep?: boolean }): void;
}

export interface SourceCacheOptions {
  /**
   * Where caches live: each process keeps its copies in a folder of its own under it (`<pid>-*`), as
   * several workers may share one MEDIA_DIR; start() deletes the folders of processes that are gone.
   */
  readonly dir: string;
  readonly store: Pick<ObjectStore, 'head' | 'getToFile'>;
  readonly log: Logger;
}

interface Entry {
  readonly key: string;
  readonly fingerprint: string;
  readonly path: string;
  readonly ready: Promise<ObjectInfo>;
  users: number;
  /** Left the map (replaced, failed, evicted in use): its file goes when its last user is done. */
  stale: boolean;
}

/** What identifies one version of an object, as its HEAD tells. Pure. */
export function sourceFingerprint(info: Pick<ObjectInfo, 'size' | 'etag' | 'lastModified'>): string {
  return `${info.size}|${info.etag ?? ''}|${info.lastModified?.getTime() ?? ''}`;
}

/**
 * The recordings this worker has downloaded, so the tasks of one fleet job that land on the same
 * worker (the planner, then several chunks and the audio) download the source once, not once each:
 * a 2-hour 4K recording is tens of GB. Keyed by object key and checked against a HEAD on every use,
 * so a replaced object is downloaded again. Concurrent requests for one source share one download
 * (a keyed map of in-flight work). Disk use stays at the sources in use plus at most the last one:
 * before another source is downloaded, every idle one is deleted.
 */
export class SourceCache {
  private readonly entries = new Map<string, Entry>();
  private readonly log: Logger;
  private serial = 0;
  private own = '';

  constructor(private readonly opts: SourceCacheOptions) {
    this.log = opts.log.child({ component: 'source-cache' });
  }

  /** Deletes what crashed workers left (not known to be whole), and makes this process's folder. */
  async start(): Promise<void> {
    await mkdir(this.opts.dir, { recursive: true });
    for (const name of await readdir(this.opts.dir)) {
      const pid = Number(/^(\d+)-/.exec(name)?.[1]);
      // Our own pid here is an earlier life of this worker (containers reuse pids).
      if (!(pid > 0) || pid === process.pid || !isAlive(pid)) await rm(join(this.opts.dir, name), { recursive: true, force: true });
    }
    this.own = await mkdtemp(join(this.opts.dir, `${process.pid}-`));
  }

  /** The source `key`, downloaded unless the copy here is of the same version. */
  async acquire(key: string): Promise<HeldSource> {
    const head = await this.opts.store.head(key);
    if (!head) throw new SpherecastError('SC_ERR_NOT_FOUND', [key]);
    if (head.size === 0) throw new SpherecastError('SC_ERR_MEDIA', [`${key}: zero-byte object`]);
    const fingerprint = sourceFingerprint(head);
    let entry = this.current(key, fingerprint);
    if (entry) {
      this.log.info({ key, bytes: head.size }, 'source reused (already downloaded by this worker)');
    } else {
      await this.evictIdle();
      // Another request for it may have started the download meanwhile.
      entry = this.current(key, fingerprint) ?? this.download(key, fingerprint);
    }
    entry.users++;
    let info: ObjectInfo;
    try {
      info = await entry.ready;
    } catch (err) {
      this.done(entry);
      throw err;
    }
    let released = false;
    const held = entry;
    return {
      path: held.path,
      info,
      release: (o) => {
        if (released) return;
        released = true;
        if (o?.keep === false) this.retire(held);
        this.done(held);
      },
    };
  }

  /** Deletes every copy (the worker has stopped: nothing holds one). */
  async close(): Promise<void> {
    this.entries.clear();
    if (this.own) await rm(this.own, { recursive: true, force: true }).catch((err) => this.log.warn({ err, dir: this.own }, 'cannot remove the source cache'));
  }

  /** The entry for this version of `key`; one for another version is retired. */
  private current(key: string, fingerprint: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (!entry || entry.fingerprint === fingerprint) return entry;
    this.log.info({ key }, 'source changed since it was downloaded: downloading it again');
    this.retire(entry);
    return undefined;
  }

  private download(key: string, fingerprint: string): Entry {
    const path = join(this.own, `${++this.serial}.${extensionOf(key)}`);
    const started = Date.now();
    const ready = this.opts.store.getToFile(key, path).then((info) => {
      if (info.size === 0) throw new SpherecastError('SC_ERR_MEDIA', [`${key}: zero-byte object`]);
      this.log.info({ key, bytes: info.size, seconds: (Date.now() - started) / 1000 }, 'source downloaded');
      return info;
    });
    const entry: Entry = { key, fingerprint, path, ready, users: 0, stale: false };
    this.entries.set(key, entry);
    // A failed download is not kept: the next request tries again.
    ready.catch(() => this.retire(entry));
    return entry;
  }

  /** Out of the map; the file goes now if unused, else when its last user releases it. */
  private retire(entry: Entry): void {
    if (this.entries.get(entry.key) === entry) this.entries.delete(entry.key);
    entry.stale = true;
    if (entry.users === 0) void this.remove(entry);
  }

  private done(entry: Entry): void {
    entry.users--;
    if (entry.stale && entry.users === 0) void this.remove(entry);
  }

  private async evictIdle(): Promise<void> {
    const idle = [...this.entries.values()].filter((e) => e.users === 0);
    for (const e of idle) this.entries.delete(e.key);
    await Promise.all(idle.map((e) => ((e.stale = true), this.remove(e))));
  }

  private async remove(entry: Entry): Promise<void> {
    // Settled first, so a download still writing is not left behind by an early unlink.
    await entry.ready.catch(() => undefined);
    await unlink(entry.path).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') this.log.warn({ err, path: entry.path }, 'cannot delete a cached source');
    });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: alive, another user's.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
