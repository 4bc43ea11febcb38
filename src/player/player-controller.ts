/// <reference lib="dom" />
// Loads an HLS stream into the <video> with hls.js or the browser's native HLS, and keeps it playing: errors go
// through decideRecovery(), whose action (recover media, restart loading, reload after a backoff, give up) is
// carried out here, with a message for the person watching.
import Hls, { type ErrorData, type HlsConfig } from 'hls.js';
import { decideRecovery, type PlaybackError, type RecoveryAction, type RecoveryState, type UserMessage } from './hls-recovery';
import type { Engine } from './playback-engine';
import { qualityButtonLabel, qualityChoices, type LevelInfo, type QualityChoice } from './quality-levels';
import { bufferAhead, type StatsSample } from './stats-format';
import type { ViewportSource } from './viewport-source';
import { ViewportSwitcher } from './viewport-switcher';

export interface ControllerEvents {
  /** A message to show, or null to clear it. */
  message(message: UserMessage | null): void;
  /** The quality choices changed (empty when there is nothing to choose). */
  levels(choices: QualityChoice[]): void;
  /** Live or not, once the playlist says. */
  live(isLive: boolean): void;
  /** The stream is loaded and can be asked to play. */
  ready(): void;
}

export interface ControllerOptions {
  video: HTMLVideoElement;
  url: string;
  engine: Exclude<Engine, 'none'>;
  live: boolean;
  events: ControllerEvents;
}

// Our own policy retries the playlist (and waits for a live stream to start); hls.js retrying a 404 first would
// only delay the message.
const HLS_CONFIG: Partial<HlsConfig> = {
  liveDurationInfinity: true,
  // Without it hls.js stays at whatever latency it joined with (often a segment or more behind); up to 1.5x it
  // catches up to PART-HOLD-BACK, the spec's target. Measured by npm run bench:latency: 1.65 s -> 1.26 s median.
  maxLiveSyncPlaybackRate: 1.5,
  backBufferLength: 30,
  manifestLoadPolicy: {
    default: {
      maxTimeToFirstByteMs: Infinity,
      maxLoadTimeMs: 20_000,
      timeoutRetry: { maxNumRetry: 1, retryDelayMs: 0, maxRetryDelayMs: 0 },
      errorRetry: { maxNumRetry: 0, retryDelayMs: 1000, maxRetryDelayMs: 8000 },
    },
  },
};

/**
 * With viewport renditions every turn of the head drops what was buffered beyond the fragment playing: keep a few
 * seconds ahead rather than hls.js' 30, so a switch throws away little. Live viewport renditions are LL-HLS: low-latency
 * mode (hls.js' default) is kept explicit.
 */
const VIEWPORT_HLS_CONFIG: Partial<HlsConfig> = { maxBufferLength: 8, maxMaxBufferLength: 8, lowLatencyMode: true };

/** Viewport renditions to play instead of the master, and where the viewer looks (see ViewportSwitcher). */
export interface ViewportPlayback {
  readonly source: ViewportSource;
  readonly viewYaw: () => number | undefined;
}

/** How a live stream's viewport renditions are found (see useLiveViewport). */
export interface LiveViewportLookup {
  /** The listing now, or undefined when the stream has none. */
  readonly find: () => Promise<ViewportSource | undefined>;
  readonly viewYaw: () => number | undefined;
}

export class PlayerController {
  private hls?: Hls;
  private viewport?: ViewportPlayback;
  private liveViewport?: LiveViewportLookup;
  private switcher?: ViewportSwitcher;
  private retryTimer?: ReturnType<typeof setTimeout>;
  private closed = false;
  private isLive: boolean;
  private lastProgress = 0;
  private recovery: RecoveryState;
  private readonly detach: Array<() => void> = [];

  constructor(private readonly opts: ControllerOptions) {
    this.isLive = opts.live;
    this.recovery = { live: opts.live, hasPlayed: false, networkRetries: 0, mediaRecoveries: 0 };
  }

  /** Before start(): play these viewport renditions, chosen by the view, instead of the master (hls.js only). */
  useViewport(viewport: ViewportPlayback): void {
    if (this.opts.engine === 'hls.js') this.viewport = viewport;
  }

  /**
   * Before start(), for a live stream (hls.js only): before every load, ask for its viewport renditions and play
   * them when listed, else its master. A live stream's listing appears once its renditions have segments and goes
   * when they stop (the stream ended, or its encoder fell behind), so the answer can change from one load to the next.
   */
  useLiveViewport(lookup: LiveViewportLookup): void {
    if (this.opts.engine === 'hls.js') this.liveViewport = lookup;
  }

  /** The viewport renditions' state: the yaw on screen, the yaw chosen for the view, how many there are. */
  viewportState(): { activeYaw?: number; chosenYaw?: number; count: number } | undefined {
    if (!this.switcher || !this.viewport) return undefined;
    return { activeYaw: this.switcher.activeYaw(), chosenYaw: this.switcher.chosenYaw(), count: this.viewport.source.listing.renditions.length };
  }

  start(): void {
    const video = this.opts.video;
    const onTime = (): void => this.onProgress();
    video.addEventListener('timeupdate', onTime);
    this.detach.push(() => video.removeEventListener('timeupdate', onTime));
    this.load();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.switcher?.close();
    this.hls?.destroy();
    this.hls = undefined;
    for (const undo of this.detach.splice(0)) undo();
  }

  /** Reload now (the "Retry" button): forget past failures. */
  retryNow(): void {
    clearTimeout(this.retryTimer);
    this.recovery = { ...this.recovery, networkRetries: 0, mediaRecoveries: 0, hasPlayed: false };
    this.opts.events.message(null);
    this.load();
  }

  get live(): boolean {
    return this.isLive;
  }

  /** -1 = automatic. Takes effect from the next fragment, without emptying the buffer. */
  setQuality(index: number): void {
    if (this.hls) this.hls.nextLevel = index;
  }

  qualityLabel(): string {
    if (!this.hls) return '';
    return qualityButtonLabel(this.levelInfo(), this.hls.autoLevelEnabled, this.hls.currentLevel);
  }

  selectedQuality(): number {
    if (!this.hls || this.hls.autoLevelEnabled) return -1;
    return this.hls.nextLevel >= 0 ? this.hls.nextLevel : this.hls.currentLevel;
  }

  /** Where "go to live" jumps to, when known. */
  liveEdge(): number | undefined {
    if (this.hls) return this.hls.liveSyncPosition ?? undefined;
    const s = this.opts.video.seekable;
    return s.length ? s.end(s.length - 1) : undefined;
  }

  sample(): StatsSample {
    const video = this.opts.video;
    const ranges: Array<[number, number]> = [];
    for (let i = 0; i < video.buffered.length; i++) ranges.push([video.buffered.start(i), video.buffered.end(i)]);
    const quality = video.getVideoPlaybackQuality?.();
    const sample: StatsSample = {
      engine: this.hls ? `hls.js ${Hls.version}` : 'native HLS',
      width: video.videoWidth,
      height: video.videoHeight,
      bufferSeconds: bufferAhead(ranges, video.currentTime),
      live: this.isLive,
      droppedFrames: quality?.droppedVideoFrames,
      totalFrames: quality?.totalVideoFrames,
    };
    if (this.hls) {
      const level = this.hls.levels[this.hls.currentLevel];
      sample.levelBitrate = level?.bitrate;
      const estimate = this.hls.bandwidthEstimate;
      if (Number.isFinite(estimate) && estimate > 0) sample.estimatedBandwidth = estimate;
      if (this.isLive) sample.latencySeconds = this.hls.latency;
      if (this.hls.levels.length > 1 && !this.switcher) sample.quality = this.qualityLabel();
      sample.viewport = this.viewportState();
    } else if (this.isLive) {
      const edge = this.liveEdge();
      if (edge !== undefined) sample.latencySeconds = Math.max(0, edge - video.currentTime);
    }
    return sample;
  }

  private levelInfo(): LevelInfo[] {
    return (this.hls?.levels ?? []).map((l) => ({ width: l.width, height: l.height, bitrate: l.bitrate }));
  }

  private load(): void {
    if (this.closed) return;
    const lookup = this.liveViewport;
    if (this.opts.engine !== 'hls.js') this.loadNative();
    else if (!lookup) this.loadHls();
    else {
      void lookup.find().then((source) => {
        if (this.closed) return;
        this.viewport = source ? { source, viewYaw: lookup.viewYaw } : undefined;
        this.loadHls();
      });
    }
  }

  private loadHls(): void {
    this.switcher?.close();
    this.switcher = undefined;
    this.hls?.destroy();
    const viewport = this.viewport;
    const hls = new Hls(viewport ? { ...HLS_CONFIG, ...VIEWPORT_HLS_CONFIG } : HLS_CONFIG);
    this.hls = hls;
    // The viewport renditions are chosen by where the viewer looks, not by a menu.
    const choices = (): QualityChoice[] => (hls.levels.length > 1 && !viewport ? qualityChoices(this.levelInfo()) : []);
    hls.on(Hls.Events.ERROR, (_event, data) => {
      if (hls === this.hls) this.onError(fromHlsError(data));
    });
    hls.on(Hls.Events.MANIFEST_PARSED, () => {
      if (hls !== this.hls) return;
      if (viewport) {
        this.switcher = new ViewportSwitcher(hls, viewport.source, viewport.viewYaw);
        this.switcher.start();
      }
      this.opts.events.levels(choices());
      this.opts.events.ready();
    });
    hls.on(Hls.Events.LEVEL_LOADED, (_event, data) => {
      if (hls === this.hls) this.setLive(data.details.live);
    });
    hls.on(Hls.Events.FRAG_BUFFERED, () => {
      this.recovery.networkRetries = 0;
    });
    hls.on(Hls.Events.LEVEL_SWITCHED, () => this.opts.events.levels(choices()));
    hls.attachMedia(this.opts.video);
    hls.loadSource(viewport ? viewport.source.masterUrl : this.opts.url);
  }

  private loadNative(): void {
    const video = this.opts.video;
    const onMeta = (): void => {
      this.setLive(video.duration === Infinity);
      this.opts.events.ready();
    };
    const onError = (): void => void this.onNativeError();
    video.addEventListener('loadedmetadata', onMeta, { once: true });
    video.addEventListener('error', onError, { once: true });
    this.detach.push(() => {
      video.removeEventListener('loadedmetadata', onMeta);
      video.removeEventListener('error', onError);
    });
    video.src = this.opts.url;
    video.load();
  }

  /** Native HLS only says "error"; ask the server for the playlist to tell a missing stream from a codec problem. */
  private async onNativeError(): Promise<void> {
    let status: number;
    try {
      status = (await fetch(this.opts.url, { cache: 'no-store' })).status;
    } catch {
      status = 0;
    }
    if (status === 0 || status >= 400) {
      const details = this.recovery.hasPlayed ? 'levelLoadError' : 'manifestLoadError';
      this.onError({ type: 'networkError', details, fatal: true, httpStatus: status });
    } else {
      this.onError({ type: 'mediaError', details: `nativeMediaError${this.opts.video.error?.code ?? ''}`, fatal: true });
    }
  }

  private setLive(live: boolean): void {
    // The playlist is the authority on what to display; a ?live=1 link still means "wait for it" on errors.
    this.recovery.live = live || this.opts.live;
    if (live === this.isLive) return;
    this.isLive = live;
    this.opts.events.live(live);
  }

  private onProgress(): void {
    const t = this.opts.video.currentTime;
    if (Math.abs(t - this.lastProgress) < 0.5) return;
    this.lastProgress = t;
    const wasRecovering = this.recovery.networkRetries > 0 || this.recovery.mediaRecoveries > 0 || !this.recovery.hasPlayed;
    this.recovery = { ...this.recovery, hasPlayed: true, networkRetries: 0, mediaRecoveries: 0 };
    if (wasRecovering) this.opts.events.message(null);
  }

  private onError(error: PlaybackError): void {
    if (this.closed) return;
    const action = decideRecovery(error, this.recovery);
    this.act(action);
  }

  private act(action: RecoveryAction): void {
    switch (action.kind) {
      case 'ignore':
        return;
      case 'recover-media':
        this.recovery.mediaRecoveries++;
        if (action.message) this.opts.events.message(action.message);
        if (this.hls) {
          if (action.swapAudioCodec) this.hls.swapAudioCodec();
          this.hls.recoverMediaError();
        } else this.load();
        return;
      case 'restart-load':
      case 'reload':
        this.recovery.networkRetries++;
        this.opts.events.message(action.message);
        clearTimeout(this.retryTimer);
        this.retryTimer = setTimeout(() => {
          if (this.closed) return;
          if (action.kind === 'restart-load' && this.hls) this.hls.startLoad();
          else this.load();
        }, action.delayMs);
        return;
      case 'fail':
        this.hls?.stopLoad();
        this.opts.events.message(action.message);
        return;
    }
  }
}

function fromHlsError(data: ErrorData): PlaybackError {
  return { type: data.type, details: data.details, fatal: data.fatal, httpStatus: data.response?.code };
}
