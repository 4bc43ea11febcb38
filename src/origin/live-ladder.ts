import type { VideoRung } from '../shared/abr-ladder';
import type { Clock } from '../shared/clock';
import { scError } from '../shared/errors';
import type { StreamLayout } from '../shared/layout/stream-layout';
import type { Logger } from '../shared/logger';
import type { DelayedUnlink } from './delayed-unlink';
import { flvHeader, FLV_VIDEO } from './flv-writer';
import { VARIANT_PLAYLIST } from './hls-leftovers';
import { LadderEncoder } from './ladder-encoder';
import { planLiveLadder, type LadderRung } from './live-ladder-plan';
import { planLiveViewport, type LiveViewportSettings } from './live-viewport-plan';
import { LiveViewport, removeViewportFiles } from './live-viewport';
import type { LiveMaster } from './live-master';
import { MediaInfo, type TagKind } from './media-info';
import { LivePackager } from './packager/live-packager';
import type { LiveRendition } from './packager/live-rendition';
import type { RenditionReport } from './packager/media-playlist';

/** LIVE_LADDER and the settings that go with it. */
export interface LiveLadderSettings {
  readonly rungs: readonly VideoRung[];
  /** x264 preset (LIVE_LADDER_PRESET). */
  readonly preset: string;
  /** LIVE_LADDER_MAX_LAG: how far (seconds of media) the encoder may trail the source. */
  readonly maxLagSeconds: number;
  /** Largest FLV tag taken back from ffmpeg (RTMP_MAX_MESSAGE). */
  readonly maxTagBytes: number;
  readonly ffmpegPath: string;
  /** LIVE_VIEWPORT_RENDITIONS (count 0 = none): viewport rungs of a 2:1 mono equirect source, beside the ladder's. */
  readonly viewport?: LiveViewportSettings;
}

export interface LiveLadderOptions extends LiveLadderSettings {
  readonly name: string;
  readonly hlsDir: string;
  readonly fragmentSeconds: number;
  readonly partSeconds: number;
  readonly playlistSeconds: number;
  readonly source: { readonly packager: LivePackager; readonly variant: string; readonly info: MediaInfo };
  readonly master: LiveMaster;
  /** HLS_VIDEO_LAYOUT, for the viewport master as for the stream's. */
  readonly videoLayout?: boolean;
  readonly deleter: DelayedUnlink;
  /** The ladder's renditions were dropped: `behind` real time, or the encoder `exited`. */
  readonly onDropped?: (reason: 'behind' | 'exited') => void;
  readonly clock: Clock;
  readonly log: Logger;
}

export type LadderState = 'waiting' | 'starting' | 'running' | 'off' | 'behind' | 'failed' | 'ended';

export interface LadderStat {
  readonly state: LadderState;
  /** Seconds of media the encoder trails the source by (while running). */
  readonly lagSeconds: number;
  readonly reason?: string;
  /** `listed`: in the stream's master, or for a viewport rendition (`yaw`) in the viewport master. */
  readonly renditions: ReadonlyArray<{ name: string; width: number; height: number; bitrate: number; listed: boolean; yaw?: number }>;
}

interface Rung {
  readonly plan: LadderRung;
  /** A viewport rung's yaw: listed in the viewport master, not the stream's. */
  readonly yaw?: number;
  /** Folder under the HLS folder: `<name>_<rung name>`. */
  readonly variant: string;
  readonly info: MediaInfo;
  readonly packager: LivePackager;
  /** Timestamp (ms) of the last video frame the encoder gave back. */
  lastVideoDts?: number;
}

/** Source tags held while the rungs' folders are prepared (a fraction of a second of video). */
const MAX_HELD_BYTES = 16 * 1024 * 1024;
/** How long ffmpeg may take to flush its last frames at the end of a stream before it is killed. */
const CLOSE_GRACE_MS = 5000;
/** Seconds of source media ffmpeg may take to give back its first frames, on top of LIVE_LADDER_MAX_LAG. */
const START_GRACE_SECONDS = 10;
/** Source bytes ffmpeg has not taken yet, beyond which it is behind whatever the timestamps say. */
const MAX_BACKLOG_BYTES = 32 * 1024 * 1024;

/**
 * The live ladder of one stream (LIVE_LADDER): one ffmpeg decodes the source once and encodes
 * every rung with keyframes at the source's keyframes; each rung's output comes back through a
 * LivePackager of its own, so it is LL-HLS like the source, with the same segment numbers,
 * presentation times and PROGRAM-DATE-TIMEs. Each rendition's playlist reports the others
 * (EXT-X-RENDITION-REPORT). The ladder starts at the source's first keyframe and stops with the
 * stream; an encoder that trails the source by more than LIVE_LADDER_MAX_LAG, or dies, is killed
 * and its renditions leave the master while the source plays on. Rungs are not recorded: the
 * recording is the source, from which the transcoder makes the VOD ladder. With
 * LIVE_VIEWPORT_RENDITIONS the same ffmpeg also encodes the viewport rungs of a 2:1 mono equirect
 * source (live-viewport-plan.ts), listed apart from the stream's master (live-viewport.ts).
 */
export class LiveLadder {
  private state: LadderState = 'waiting';
  private reason?: string;
  private readonly log: Logger;
  private rungs: Rung[] = [];
  private encoder?: LadderEncoder;
  private audioConfig?: Buffer;
  private videoConfig?: Buffer;
  private held: Buffer[] = [];
  private heldBytes = 0;
  private layout?: StreamLayout;
  private fedFromDts = 0;
  private sourceDts = 0;
  private lagMs = 0;
  /** The lag when every rung had given back its first frame: what starting ffmpeg took, allowed on top. */
  private startLagMs?: number;
  private starting?: Promise<void>;
  private closing?: Promise<void>;
  private viewport?: LiveViewport;

  constructor(private readonly opts: LiveLadderOptions) {
    this.log = opts.log.child({ component: 'ladder', stream: opts.name });
  }

  /** The stream's layout goes into every rung's init segment too. */
  setLayout(layout: StreamLayout): void {
    this.layout = layout;
    for (const r of this.rungs) r.packager.setLayout(layout);
    this.viewport?.setLayout(layout);
  }

  /** Every FLV tag of the source (`tag` is the whole tag, header included). */
  write(dts: number, kind: TagKind, tag: Buffer): void {
    if (kind === 'audio-config') this.audioConfig = tag;
    if (kind === 'video-config') this.videoConfig = tag;
    switch (this.state) {
      case 'waiting':
        if (kind === 'video-key' && this.videoConfig) this.begin(dts, tag);
        return;
      case 'starting':
        this.hold(tag);
        return;
      case 'running':
        this.sourceDts = Math.max(this.sourceDts, dts);
        this.encoder!.write(tag);
        this.checkLag();
        return;
      default:
        return;
    }
  }

  /** The live rendition behind a variant folder of this ladder, while it is live. */
  rendition(variant: string): LiveRendition | undefined {
    const r = this.rungs.find((x) => x.variant === variant)?.packager.rendition;
    return r && !r.isEnded ? r : undefined;
  }

  get stat(): LadderStat {
    const listed = new Set([...this.opts.master.listedUris, ...(this.viewport?.listedUris ?? [])]);
    return {
      state: this.state,
      lagSeconds: this.state === 'running' ? Math.max(0, this.lagMs) / 1000 : 0,
      ...(this.reason ? { reason: this.reason } : {}),
      renditions: this.rungs.map((r) => ({ name: r.plan.name, width: r.plan.width, height: r.plan.height, bitrate: r.plan.bitrate, listed: listed.has(uriOf(r.variant)), ...(r.yaw !== undefined ? { yaw: r.yaw } : {}) })),
    };
  }

  private begin(dts: number, keyTag: Buffer): void {
    const video = this.opts.source.info.video;
    if (this.opts.source.info.videoConfig?.codec !== 'avc' || !video) {
      // ffmpeg 5.1 reads no Enhanced RTMP, so an HEVC source cannot be fed to it as FLV.
      this.state = 'off';
      this.reason = 'the source is not H.264';
      this.log.warn({ code: 'SC_ERR_LIVE_LADDER' }, scError('SC_ERR_LIVE_LADDER', this.opts.name, `${this.reason}: no ladder, the source plays alone`).message);
      return;
    }
    // Whatever an earlier publish of this name left (a crash) goes before anything new is listed.
    const cleared = this.opts.viewport?.count ? removeViewportFiles(this.opts.hlsDir, this.opts.name, this.log) : Promise.resolve();
    const ladder = planLiveLadder(video, this.opts.rungs);
    const viewport = this.opts.viewport ? planLiveViewport({ ...video, frameRate: this.opts.source.info.frameRate }, this.layout, this.opts.source.info.declaredVideoBitrate ?? 0, this.opts.viewport) : [];
    if (this.opts.viewport?.count && !viewport.length) this.log.info({ source: `${video.width}x${video.height}` }, 'no viewport renditions: the source is not a 2:1 mono equirect picture');
    const plan = [...ladder, ...viewport];
    if (!plan.length) {
      this.state = 'off';
      this.reason = `no rung below the source's ${video.width}x${video.height}${this.opts.viewport?.count ? ' and no viewport renditions' : ''}`;
      this.log.info({ source: `${video.width}x${video.height}` }, `live ladder off: ${this.reason}`);
      return;
    }
    this.state = 'starting';
    this.fedFromDts = dts;
    this.sourceDts = dts;
    const header = flvHeader(!!this.audioConfig, true);
    for (const t of [header, this.audioConfig, this.videoConfig, keyTag]) if (t) this.hold(t);
    this.starting = cleared.then(() => this.start(plan)).catch((err) => this.drop('exited', `cannot start: ${(err as Error).message}`));
  }

  private hold(tag: Buffer): void {
    this.held.push(tag);
    this.heldBytes += tag.length;
    if (this.heldBytes > MAX_HELD_BYTES) this.drop('behind', `more than ${MAX_HELD_BYTES} source bytes arrived while starting`);
  }

  private async start(plan: readonly LadderRung[]): Promise<void> {
    const o = this.opts;
    const source = o.source.packager;
    const timeBase = source.timeBase;
    const made = plan.map((p) => ({ plan: p, variant: `${o.name}_${p.name}`, info: new MediaInfo(), yaw: p.yaw }));
    const viewport = made.filter((m) => m.yaw !== undefined);
    if (viewport.length) {
      this.viewport = new LiveViewport({ hlsDir: o.hlsDir, name: o.name, renditions: viewport.map((m) => ({ yaw: m.yaw!, uri: uriOf(m.variant), info: m.info })), ...(o.videoLayout ? { videoLayout: true } : {}), log: o.log });
    }
    this.rungs = made.map(({ plan: p, variant, info, yaw }) => {
      const uri = uriOf(variant);
      const vp = yaw !== undefined ? this.viewport : undefined;
      if (!vp) o.master.addVariant(uri, info);
      const packager = new LivePackager({
        hlsDir: o.hlsDir,
        name: o.name,
        variantSuffix: `_${p.name}`,
        fragmentSeconds: o.fragmentSeconds,
        partSeconds: o.partSeconds,
        playlistSeconds: o.playlistSeconds,
        info,
        master: { update: (segments) => (vp ? vp.update(uri, segments) : o.master.updateVariant(uri, segments)) },
        deleter: o.deleter,
        clock: o.clock,
        log: o.log,
        ...(timeBase ? { timeBase } : {}),
        minFirstMsn: source.firstMsn,
      });
      return { plan: p, variant, info, packager, ...(yaw !== undefined ? { yaw } : {}) };
    });
    await Promise.all(this.rungs.map((r) => r.packager.start()));
    if (this.state !== 'starting') {
      await Promise.all(this.rungs.map((r) => r.packager.close()));
      await this.viewport?.remove();
      return;
    }
    if (this.layout) this.setLayout(this.layout);
    this.reportPeers(o.source.variant, source.rendition);
    for (const r of this.rungs) this.reportPeers(r.variant, r.packager.rendition, r.yaw);
    const encoder = new LadderEncoder({
      ffmpegPath: o.ffmpegPath,
      rungs: plan,
      preset: o.preset,
      maxTagBytes: o.maxTagBytes,
      onTag: (i, tag) => this.output(this.rungs[i]!, tag.type, tag.dts, tag.body),
      onExit: (reason) => this.drop('exited', reason),
    });
    this.encoder = encoder;
    encoder.start();
    this.state = 'running';
    for (const t of this.held) encoder.write(t);
    this.held = [];
    this.heldBytes = 0;
    this.log.info({ pid: encoder.pid, renditions: plan.map((p) => `${p.name} ${p.width}x${p.height} ${Math.round(p.bitrate / 1000)}k`) }, 'live ladder started');
  }

  /** One tag of a rung, back from ffmpeg. */
  private output(rung: Rung, type: number, dts: number, body: Buffer): void {
    if (this.state !== 'running' && this.state !== 'ended') return;
    let kind: TagKind;
    try {
      kind = rung.info.observe(type, dts, body);
    } catch (err) {
      this.drop('exited', `rung ${rung.plan.name}: ${(err as Error).message}`);
      return;
    }
    if (type === FLV_VIDEO && (kind === 'video' || kind === 'video-key')) rung.lastVideoDts = dts;
    rung.packager.write(dts, body, kind);
  }

  /**
   * This rendition's playlist reports every other rendition its master lists: the stream's master for the source
   * and the ladder, the viewport master for a viewport rendition.
   */
  private reportPeers(self: string, rendition: LiveRendition | undefined, yaw?: number): void {
    rendition?.setRenditionReports(() => {
      const viewport = yaw !== undefined;
      const listed = new Set(viewport ? this.viewport?.listedUris : this.opts.master.listedUris);
      const source = viewport ? [] : [{ variant: this.opts.source.variant, r: this.opts.source.packager.rendition }];
      const all = [...source, ...this.live().filter((x) => (x.yaw !== undefined) === viewport).map((x) => ({ variant: x.variant, r: x.packager.rendition }))];
      const out: RenditionReport[] = [];
      for (const { variant, r } of all) {
        const last = r?.lastPart;
        if (variant === self || !last || r!.isEnded || !listed.has(uriOf(variant))) continue;
        out.push({ uri: `../${variant}/${VARIANT_PLAYLIST}`, lastMsn: last.msn, lastPart: last.part });
      }
      return out;
    });
  }

  private live(): Rung[] {
    return this.state === 'running' ? this.rungs : [];
  }

  /**
   * The encoder falls behind when its output trails the source's media time by more than it did
   * once started (ffmpeg's start-up, which it catches up on), plus LIVE_LADDER_MAX_LAG; or when
   * its input piles up.
   */
  private checkLag(): void {
    const outputs = this.rungs.map((r) => r.lastVideoDts);
    const started = outputs.every((d) => d !== undefined);
    this.lagMs = this.sourceDts - Math.min(...outputs.map((d) => d ?? this.fedFromDts));
    if (started) this.startLagMs ??= this.lagMs;
    const allowedMs = (this.opts.maxLagSeconds + (started ? 0 : START_GRACE_SECONDS)) * 1000 + (this.startLagMs ?? 0);
    const backlog = this.encoder!.backlogBytes;
    if (this.lagMs > allowedMs) {
      const what = started ? `the encoder is ${(this.lagMs / 1000).toFixed(1)} s of media behind the source` : `the encoder gave back no frames of every rung in ${(this.lagMs / 1000).toFixed(1)} s of media`;
      this.drop('behind', `${what} (LIVE_LADDER_MAX_LAG ${this.opts.maxLagSeconds} s): slower than real time`);
    } else if (backlog > MAX_BACKLOG_BYTES) {
      this.drop('behind', `the encoder left ${backlog} source bytes unread: slower than real time`);
    }
  }

  /** The ladder stops for the rest of this publish; the source rendition plays on alone. */
  private drop(reason: 'behind' | 'exited', detail: string): void {
    if (this.state !== 'running' && this.state !== 'starting') return;
    // While starting, start() closes the rungs it made once it sees the state has changed.
    const closeRungs = this.state === 'running';
    this.state = reason === 'behind' ? 'behind' : 'failed';
    this.reason = detail;
    this.held = [];
    this.heldBytes = 0;
    const err = scError('SC_ERR_LIVE_LADDER', this.opts.name, `${detail}; its renditions leave the master, the source plays on`);
    this.log.warn({ code: err.code, reason, renditions: this.rungs.map((r) => r.plan.name) }, err.message);
    this.opts.onDropped?.(reason);
    this.encoder?.kill();
    const rungs = this.rungs;
    const viewport = this.viewport;
    this.closing = Promise.all([
      viewport?.remove(),
      ...rungs.map(async (r) => {
        if (r.yaw === undefined) await this.opts.master.removeVariant(uriOf(r.variant)).catch((e) => this.log.error({ err: e }, 'cannot rewrite the master'));
        if (closeRungs) await r.packager.close();
      }),
    ]).then(() => undefined);
  }

  /** The stream ended: ffmpeg flushes its last frames, then every rung's playlist gets ENDLIST. */
  async close(): Promise<void> {
    const wasRunning = this.state === 'running';
    const wasStarting = this.state === 'starting';
    if (wasRunning || wasStarting || this.state === 'waiting') this.state = 'ended';
    await this.starting;
    if (wasRunning) {
      await this.encoder?.close(CLOSE_GRACE_MS);
      await Promise.all(this.rungs.map((r) => r.packager.close()));
      // The viewport renditions end with the stream: players that ask for the listing play the stream's master.
      await this.viewport?.remove();
    }
    this.encoder?.kill();
    await this.closing;
  }
}

const uriOf = (variant: string) => `${variant}/${VARIANT_PLAYLIST}`;
