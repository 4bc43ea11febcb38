import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, rmdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../../shared/clock';
import type { Logger } from '../../shared/logger';
import { fileExists, finishInstantVod, readInstantVodMeta, VOD_PLAYLIST, type InstantVodMeta } from './instant-vod-files';
import { InstantVodWriter } from './instant-vod-writer';
import { replacingLadder } from './ladder-replacement';
import { JOURNAL_FILE, parseJournal } from './vod-journal';

export interface InstantVodLibraryOptions {
  /** MEDIA_DIR/vod-live, served at /vod-live/. */
  readonly dir: string;
  /** The local egress folder the transcoder writes ladders to (replacement is not seen without one). */
  readonly ladderDir?: string;
  readonly maxBytes: number;
  /** INSTANT_VOD_RETENTION in ms: the longest an instant VOD stays after its publish ended. */
  readonly retentionMs: number;
  /** How long past its own duration a replaced VOD stays for viewers already in it (caches included). */
  readonly replacedGraceMs: number;
  readonly clock: Clock;
  readonly log: Logger;
}

export interface InstantVodEntry extends InstantVodMeta {
  /** Its folder on disk. */
  readonly dir: string;
  /** Path of its playlist under the HTTP root: /vod-live/<name>/<start ms>/index.m3u8. */
  readonly master: string;
  /** The ladder folder that replaced it, when one has. */
  readonly replacedBy?: string;
}

const NAME = /^[A-Za-z0-9_-]{1,64}$/;
const START = /^\d{1,16}$/;
const LADDER_MASTER = 'MANIFEST.M3U8';
const JOURNAL_MAX_BYTES = 64 * 1024 * 1024;

async function dirs(path: string, re: RegExp): Promise<string[]> {
  const entries = await readdir(path, { withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isDirectory() && re.test(e.name)).map((e) => e.name);
}

/**
 * The instant VODs on disk (MEDIA_DIR/vod-live/<name>/<start ms>/): a writer for each new
 * publish, the listing of finished ones no ladder has replaced, and the sweep that deletes them
 * (a replaced one once its viewers had time to finish, any other after INSTANT_VOD_RETENTION).
 * On start, what a crash left unfinished is finished from its journal.
 */
export class InstantVodLibrary {
  private readonly log: Logger;
  private timer?: NodeJS.Timeout;
  private readonly writing = new Set<string>();

  constructor(private readonly opts: InstantVodLibraryOptions) {
    this.log = opts.log.child({ component: 'instant-vod' });
  }

  async start(): Promise<void> {
    await mkdir(this.opts.dir, { recursive: true });
    await this.finishLeftovers();
    await this.sweep();
    const every = Math.min(this.opts.retentionMs / 4, 10 * 60_000);
    this.timer = setInterval(() => void this.sweep().catch((err) => this.log.error({ err }, 'instant VOD sweep failed')), Math.max(1000, every));
    this.timer.unref();
  }

  get dir(): string {
    return this.opts.dir;
  }

  close(): void {
    clearInterval(this.timer);
  }

  /**
   * A writer for a publish starting now; its folder (made by its start()) is new, whatever ran
   * under the name before. Synchronous, so a publish is registered without yielding.
   */
  writer(name: string): InstantVodWriter {
    let startedAt = this.opts.clock.now();
    while (existsSync(join(this.opts.dir, name, String(startedAt)))) startedAt++;
    const dir = join(this.opts.dir, name, String(startedAt));
    this.writing.add(dir);
    return new InstantVodWriter({ dir, name, startedAt, maxBytes: this.opts.maxBytes, clock: this.opts.clock, log: this.opts.log });
  }

  /** The writer's publish has ended (its playlist is written): the sweep may consider it. */
  released(w: InstantVodWriter): void {
    this.writing.delete(w.dir);
  }

  /** Every finished instant VOD, newest first, with the ladder that replaced it if any. */
  async all(): Promise<InstantVodEntry[]> {
    const out: InstantVodEntry[] = [];
    const ladders = this.opts.ladderDir ? await dirs(this.opts.ladderDir, /^[A-Za-z0-9_.~-]+$/) : [];
    for (const name of await dirs(this.opts.dir, NAME)) {
      for (const start of await dirs(join(this.opts.dir, name), START)) {
        const dir = join(this.opts.dir, name, start);
        if (this.writing.has(dir) || !(await fileExists(join(dir, VOD_PLAYLIST)))) continue;
        const meta = await readInstantVodMeta(dir);
        if (!meta || meta.name !== name) continue;
        const candidate = replacingLadder(name, meta.startedAt, meta.endedAt, ladders);
        const done = candidate && (await fileExists(join(this.opts.ladderDir!, candidate, LADDER_MASTER)));
        out.push({ ...meta, dir, master: `/vod-live/${name}/${start}/${VOD_PLAYLIST}`, ...(done ? { replacedBy: candidate } : {}) });
      }
    }
    return out.sort((a, b) => b.startedAt - a.startedAt);
  }

  /** What the index lists: finished and not yet replaced by the ladder. */
  async listed(): Promise<InstantVodEntry[]> {
    return (await this.all()).filter((e) => !e.replacedBy);
  }

  /** Deletes what is over: replaced and watched out, or older than INSTANT_VOD_RETENTION. */
  async sweep(): Promise<void> {
    const now = this.opts.clock.now();
    for (const e of await this.all()) {
      let over = e.endedAt + this.opts.retentionMs <= now;
      if (!over && e.replacedBy) {
        const since = (await stat(join(this.opts.ladderDir!, e.replacedBy, LADDER_MASTER))).mtimeMs;
        over = since + e.duration * 1000 + this.opts.replacedGraceMs <= now;
      }
      if (!over) continue;
      await rm(e.dir, { recursive: true, force: true });
      await rmdir(join(this.opts.dir, e.name)).catch(() => undefined);
      this.log.info({ dir: e.dir, replacedBy: e.replacedBy }, e.replacedBy ? 'instant VOD replaced by its ladder: deleted' : 'instant VOD past INSTANT_VOD_RETENTION: deleted');
    }
  }

  /** Folders a crash left without a playlist: finished from their journal (or removed when empty). */
  private async finishLeftovers(): Promise<void> {
    for (const name of await dirs(this.opts.dir, NAME)) {
      for (const start of await dirs(join(this.opts.dir, name), START)) {
        const dir = join(this.opts.dir, name, start);
        if (await fileExists(join(dir, VOD_PLAYLIST))) continue;
        const journal = join(dir, JOURNAL_FILE);
        const info = await stat(journal).catch(() => undefined);
        const text = info && info.size <= JOURNAL_MAX_BYTES ? await readFile(journal, 'utf8') : '';
        const meta = await finishInstantVod(dir, { name, startedAt: Number(start), endedAt: Math.round(info?.mtimeMs ?? this.opts.clock.now()) }, parseJournal(text));
        this.log.warn({ dir, segments: meta?.segments ?? 0 }, 'instant VOD left unfinished by an unclean stop: finished from its journal');
      }
    }
  }
}
