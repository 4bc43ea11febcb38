import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, statSync, unlinkSync, watch, type FSWatcher } from 'node:fs';
import { open, readFile, readdir, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { systemClock, type Clock } from './clock';
import { SpherecastError } from './errors';
import { MAX_DEAD_LETTER_REASON, type JobQueue, type QueueMessage, type ReceiveOptions } from './job-queue';
import type { Logger } from './logger';

/** SQS's limit; the same here so a message that works locally works on AWS. */
export const MAX_BODY_BYTES = 256 * 1024;

export interface LocalJobQueueOptions {
  /** Folder holding the queue; created if missing. */
  readonly root: string;
  readonly log: Logger;
  /** Visibility deadlines are measured on this clock (tests inject a ManualClock). */
  readonly clock?: Clock;
  /** Receives after which the next receive moves the message to `dead/` (SQS redrive maxReceiveCount). */
  readonly maxReceiveCount?: number;
  /** Visibility timeout when receive() is not given one (SQS's default is 30 s). */
  readonly defaultVisibilitySeconds?: number;
  /** Long polls re-scan at least this often (real time) besides waking on new files. */
  readonly pollMs?: number;
}

interface Ready {
  readonly id: string;
  readonly count: number;
}

interface Inflight extends Ready {
  readonly token: string;
  readonly deadline: number;
}

/**
 * A durable queue in a folder, safe for several consumer processes.
 *
 * Every state change is one rename(2), which is atomic, and the message's state is in its file
 * name, so there is never a read-modify-write for two processes to race on:
 *
 *   ready/<id>.<receives>                           visible
 *   inflight/<id>.<receives>.<token>.<deadline ms>  received; invisible until the deadline
 *   dead/<id>.<receives>                            dead-lettered
 *   dead/<id>.<receives>.reason                     why, when dead-lettered by deadLetter()
 *
 * Receiving renames ready/x to a fresh inflight name (one claimant wins; the others get ENOENT and
 * move on); redelivery after the deadline (consumer too slow or crashed) renames it back; extend
 * renames it to a later deadline; delete unlinks it. The receipt handle is `<id>.<receives>.<token>`,
 * unique per receive, so a stale handle never matches a message redelivered to someone else: extend
 * then throws, delete and release log and do nothing (as SQS's delete "succeeds" but may not delete).
 * The file's content (id, body, send time) is written once, fsynced, and never changes.
 */
export class LocalJobQueue implements JobQueue {
  readonly location: string;
  private readonly root: string;
  private readonly dirs: { ready: string; inflight: string; dead: string; tmp: string };
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly maxReceiveCount: number;
  private readonly defaultVisibilitySeconds: number;
  private readonly pollMs: number;
  private readonly closing = new AbortController();

  constructor(opts: LocalJobQueueOptions) {
    this.root = opts.root.replace(/\/+$/, '') || '/';
    this.location = `file://${this.root}`;
    this.log = opts.log.child({ component: 'job-queue-local', location: this.location });
    this.clock = opts.clock ?? systemClock;
    this.maxReceiveCount = opts.maxReceiveCount ?? 5;
    this.defaultVisibilitySeconds = opts.defaultVisibilitySeconds ?? 30;
    this.pollMs = opts.pollMs ?? 500;
    if (!Number.isInteger(this.maxReceiveCount) || this.maxReceiveCount < 1) {
      throw new SpherecastError('SC_ERR_CONFIG', [`queue maxReceiveCount must be a positive integer, got ${opts.maxReceiveCount}`]);
    }
    this.dirs = {
      ready: join(this.root, 'ready'),
      inflight: join(this.root, 'inflight'),
      dead: join(this.root, 'dead'),
      tmp: join(this.root, 'tmp'),
    };
    try {
      for (const d of Object.values(this.dirs)) mkdirSync(d, { recursive: true });
    } catch (err) {
      throw queueError(this.location, `cannot create queue folders under ${this.root}`, err);
    }
    this.sweepTmp();
  }

  async send(body: string): Promise<string> {
    if (typeof body !== 'string') throw queueError(this.location, 'message body must be a string');
    const bytes = Buffer.byteLength(body, 'utf8');
    if (bytes > MAX_BODY_BYTES) throw queueError(this.location, `message body is ${bytes} bytes, over the ${MAX_BODY_BYTES}-byte limit`);
    const sentAt = this.clock.now();
    // Time first so a sorted listing is roughly send order.
    const id = `${String(sentAt).padStart(15, '0')}-${randomBytes(8).toString('hex')}`;
    const tmp = join(this.dirs.tmp, id);
    try {
      const fh = await open(tmp, 'wx', 0o644);
      try {
        await fh.writeFile(JSON.stringify({ id, sentAt, body }));
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, join(this.dirs.ready, readyName({ id, count: 0 })));
      await fsyncDir(this.dirs.ready);
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      throw queueError(this.location, 'send', err);
    }
    return id;
  }

  /** Aborting the signal (or close()) ends a long poll early with what was received so far (usually nothing). */
  async receive(opts: ReceiveOptions = {}): Promise<QueueMessage[]> {
    const max = Math.min(10, Math.max(1, Math.floor(opts.maxMessages ?? 1)));
    const visibilityMs = Math.max(0, (opts.visibilitySeconds ?? this.defaultVisibilitySeconds) * 1000);
    const waitUntil = Date.now() + Math.max(0, (opts.waitSeconds ?? 0) * 1000);
    const signal = opts.signal ? AbortSignal.any([opts.signal, this.closing.signal]) : this.closing.signal;
    for (;;) {
      if (signal.aborted) return [];
      await this.redeliverExpired();
      const got = await this.claim(max, visibilityMs);
      const left = waitUntil - Date.now();
      if (got.length > 0 || left <= 0 || signal.aborted) return got;
      await this.waitForReady(Math.min(left, this.pollMs), signal);
    }
  }

  async extend(msg: QueueMessage, seconds: number): Promise<void> {
    const found = await this.findInflight(msg.receiptHandle);
    const stale = (): SpherecastError =>
      queueError(this.location, `cannot extend message ${msg.id}: its receipt handle is no longer valid (visibility timeout passed or message deleted)`);
    if (!found) throw stale();
    const next: Inflight = { ...found, deadline: this.clock.now() + Math.max(0, seconds) * 1000 };
    try {
      await rename(join(this.dirs.inflight, inflightName(found)), join(this.dirs.inflight, inflightName(next)));
    } catch (err) {
      if (errno(err) === 'ENOENT') throw stale();
      throw queueError(this.location, `extend ${msg.id}`, err);
    }
  }

  async release(msg: QueueMessage): Promise<void> {
    const found = await this.findInflight(msg.receiptHandle);
    if (!found) {
      this.log.debug({ id: msg.id }, 'release with a stale receipt handle: the message is already visible or gone');
      return;
    }
    await this.moveInflight(found, this.dirs.ready).catch((err) => {
      throw queueError(this.location, `release ${msg.id}`, err);
    });
  }

  async delete(msg: QueueMessage): Promise<void> {
    const found = await this.findInflight(msg.receiptHandle);
    try {
      if (found) {
        await unlink(join(this.dirs.inflight, inflightName(found)));
        return;
      }
    } catch (err) {
      if (errno(err) !== 'ENOENT') throw queueError(this.location, `delete ${msg.id}`, err);
    }
    this.log.warn(
      { id: msg.id, receiveCount: msg.receiveCount },
      'delete with a stale receipt handle: not deleted (its visibility timeout passed; it was or will be redelivered)',
    );
  }

  async deadLetter(msg: QueueMessage, reason: string): Promise<void> {
    const found = await this.findInflight(msg.receiptHandle);
    if (!found) {
      this.log.warn({ id: msg.id }, 'dead-letter with a stale receipt handle: not moved (it was or will be redelivered)');
      return;
    }
    // The reason first (written whole, then renamed in), so a dead letter never lacks it.
    const reasonFile = join(this.dirs.dead, `${readyName(found)}.reason`);
    const tmp = join(this.dirs.tmp, `${found.id}.reason`);
    try {
      await writeFile(tmp, reason.slice(0, MAX_DEAD_LETTER_REASON));
      await rename(tmp, reasonFile);
      if (!(await this.moveInflight(found, this.dirs.dead))) {
        await unlink(reasonFile).catch(() => undefined);
        this.log.warn({ id: msg.id }, 'dead-letter: the message was redelivered meanwhile; not moved');
        return;
      }
      await fsyncDir(this.dirs.dead);
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      throw queueError(this.location, `dead-letter ${msg.id}`, err);
    }
    this.log.warn({ id: msg.id, receiveCount: found.count, reason }, 'message dead-lettered');
  }

  async close(): Promise<void> {
    this.closing.abort();
  }

  /** Dead-lettered messages with the reason when one was given, oldest first (for operators and tests). */
  async deadLetters(): Promise<Array<{ id: string; receiveCount: number; body: string; reason?: string }>> {
    const out = [];
    const names = await readdir(this.dirs.dead);
    const reasons = new Set(names.filter((n) => n.endsWith('.reason')));
    for (const name of names.sort()) {
      const r = parseReady(name);
      if (!r) continue;
      const content = await readMessageFile(join(this.dirs.dead, name));
      const reason = reasons.has(`${name}.reason`) ? await readFile(join(this.dirs.dead, `${name}.reason`), 'utf8').catch(() => undefined) : undefined;
      out.push({ id: r.id, receiveCount: r.count, body: typeof content === 'object' ? content.body : '', ...(reason !== undefined ? { reason } : {}) });
    }
    return out;
  }

  /** Moves every in-flight message whose visibility deadline has passed back to ready (or dead). */
  private async redeliverExpired(): Promise<void> {
    const now = this.clock.now();
    for (const name of await this.list(this.dirs.inflight)) {
      const m = parseInflight(name);
      if (!m || m.deadline > now) continue;
      const dead = m.count >= this.maxReceiveCount;
      const moved = await this.moveInflight(m, dead ? this.dirs.dead : this.dirs.ready).catch((err) => {
        this.log.warn({ err, name }, 'cannot redeliver expired message');
        return false;
      });
      if (moved && dead) this.log.warn({ id: m.id, receiveCount: m.count }, 'message dead-lettered');
    }
  }

  private async claim(max: number, visibilityMs: number): Promise<QueueMessage[]> {
    const got: QueueMessage[] = [];
    for (const name of (await this.list(this.dirs.ready)).sort()) {
      if (got.length >= max) break;
      const r = parseReady(name);
      if (!r) continue;
      const from = join(this.dirs.ready, name);
      if (r.count >= this.maxReceiveCount) {
        if (await this.renameIfThere(from, join(this.dirs.dead, name))) {
          this.log.warn({ id: r.id, receiveCount: r.count }, 'message dead-lettered');
        }
        continue;
      }
      const claimed: Inflight = { id: r.id, count: r.count + 1, token: randomBytes(8).toString('hex'), deadline: this.clock.now() + visibilityMs };
      const to = join(this.dirs.inflight, inflightName(claimed));
      if (!(await this.renameIfThere(from, to))) continue; // another consumer won it
      const content = await readMessageFile(to);
      if (content === 'gone') continue; // visibility 0 and already redelivered
      if (!content) {
        this.log.error({ id: r.id }, 'unreadable message file moved to dead/');
        await this.renameIfThere(to, join(this.dirs.dead, readyName(claimed)));
        continue;
      }
      got.push({ id: r.id, receiptHandle: receiptOf(claimed), body: content.body, receiveCount: claimed.count });
    }
    return got;
  }

  private async findInflight(receiptHandle: string): Promise<Inflight | undefined> {
    if (typeof receiptHandle !== 'string' || !/^[0-9]{15}-[0-9a-f]{16}\.[0-9]+\.[0-9a-f]{16}$/.test(receiptHandle)) {
      throw queueError(this.location, `receipt handle ${JSON.stringify(receiptHandle)} is not from a local queue`);
    }
    const prefix = `${receiptHandle}.`;
    const name = (await this.list(this.dirs.inflight)).find((n) => n.startsWith(prefix));
    return name ? parseInflight(name) : undefined;
  }

  private async moveInflight(m: Inflight, toDir: string): Promise<boolean> {
    return this.renameIfThere(join(this.dirs.inflight, inflightName(m)), join(toDir, readyName(m)));
  }

  /** rename(2); false when the source is gone (another process moved it first). */
  private async renameIfThere(from: string, to: string): Promise<boolean> {
    try {
      await rename(from, to);
      return true;
    } catch (err) {
      if (errno(err) === 'ENOENT') return false;
      throw queueError(this.location, `move ${from}`, err);
    }
  }

  private async list(dir: string): Promise<string[]> {
    try {
      return await readdir(dir);
    } catch (err) {
      throw queueError(this.location, `list ${dir}`, err);
    }
  }

  /** Resolves on a change in ready/ (any process's send or redelivery), after `ms`, or on abort. */
  private waitForReady(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      let watcher: FSWatcher | undefined;
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        watcher?.close();
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
      try {
        watcher = watch(this.dirs.ready, { persistent: false }, done);
        watcher.on('error', () => undefined);
      } catch {
        // Polling alone still works.
      }
    });
  }

  /** Removes half-written sends left by a crash (older than an hour, so never a live send). */
  private sweepTmp(): void {
    try {
      for (const name of readdirSync(this.dirs.tmp)) {
        const p = join(this.dirs.tmp, name);
        if (Date.now() - statSync(p).mtimeMs > 3_600_000) unlinkSync(p);
      }
    } catch (err) {
      this.log.warn({ err }, 'cannot sweep queue tmp folder');
    }
  }
}

const readyName = (m: Ready): string => `${m.id}.${m.count}`;
const inflightName = (m: Inflight): string => `${m.id}.${m.count}.${m.token}.${m.deadline}`;
const receiptOf = (m: Inflight): string => `${m.id}.${m.count}.${m.token}`;

function parseReady(name: string): Ready | undefined {
  const m = /^([0-9]{15}-[0-9a-f]{16})\.([0-9]+)$/.exec(name);
  return m ? { id: m[1], count: Number(m[2]) } : undefined;
}

function parseInflight(name: string): Inflight | undefined {
  const m = /^([0-9]{15}-[0-9a-f]{16})\.([0-9]+)\.([0-9a-f]{16})\.([0-9]+)$/.exec(name);
  return m ? { id: m[1], count: Number(m[2]), token: m[3], deadline: Number(m[4]) } : undefined;
}

/** undefined when unreadable or corrupt, 'gone' when the file is no longer there. */
async function readMessageFile(path: string): Promise<{ body: string } | 'gone' | undefined> {
  let text;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    return errno(err) === 'ENOENT' ? 'gone' : undefined;
  }
  try {
    const parsed = JSON.parse(text) as { body?: unknown };
    return typeof parsed.body === 'string' ? { body: parsed.body } : undefined;
  } catch {
    return undefined;
  }
}

async function fsyncDir(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

function errno(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

function queueError(location: string, what: string, err?: unknown): SpherecastError {
  const code = errno(err);
  const reason = err === undefined ? '' : `: ${code === 'ENOSPC' ? 'no space left on device' : (err as Error)?.message ?? String(err)}`;
  return new SpherecastError('SC_ERR_QUEUE', [location, `${what}${reason}`], err === undefined ? undefined : { cause: err });
}
