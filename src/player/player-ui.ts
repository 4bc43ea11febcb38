/// <reference lib="dom" />
// The controls over the scene: play/pause, mute, live badge or time and seek bar, fullscreen, the
// tap-to-unmute / tap-to-play prompts and the message card. A-Frame adds its own VR button.
import type { UserMessage } from './hls-recovery';
import { ICONS } from './icons';
import { behindLive, dvrWindow } from './live-seek';
import { formatClock } from './stats-format';

function byId<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`player.html is missing #${id}`);
  return el as T;
}

type FullscreenDocument = Document & { webkitFullscreenEnabled?: boolean; webkitFullscreenElement?: Element | null; webkitExitFullscreen?: () => void };
type FullscreenElement = HTMLElement & { webkitRequestFullscreen?: () => void };

export class PlayerUi {
  readonly video: HTMLVideoElement;
  private readonly play = byId<HTMLButtonElement>('sc-play');
  private readonly mute = byId<HTMLButtonElement>('sc-mute');
  private readonly unmute = byId<HTMLButtonElement>('sc-unmute');
  private readonly bigPlay = byId<HTMLButtonElement>('sc-bigplay');
  private readonly liveBadge = byId<HTMLButtonElement>('sc-live');
  private readonly time = byId<HTMLElement>('sc-time');
  private readonly seek = byId<HTMLInputElement>('sc-seek');
  private readonly fullscreen = byId<HTMLButtonElement>('sc-fullscreen');
  private readonly messageBox = byId<HTMLElement>('sc-message');
  private readonly messageTitle = byId<HTMLElement>('sc-message-title');
  private readonly messageDetail = byId<HTMLElement>('sc-message-detail');
  private readonly retry = byId<HTMLButtonElement>('sc-retry');
  private readonly toast = byId<HTMLElement>('sc-toast');
  private live = false;
  private seeking = false;
  private idleTimer?: ReturnType<typeof setTimeout>;

  constructor(private readonly actions: { retry(): void; goLive(): number | undefined }) {
    this.video = byId<HTMLVideoElement>('sc-video');
    const v = this.video;
    this.play.addEventListener('click', () => this.togglePlay());
    this.bigPlay.addEventListener('click', () => this.userPlay());
    this.mute.addEventListener('click', () => this.toggleMute());
    this.unmute.addEventListener('click', () => this.userPlay());
    this.retry.addEventListener('click', () => this.actions.retry());
    this.liveBadge.addEventListener('click', () => {
      const edge = this.actions.goLive();
      if (edge !== undefined) v.currentTime = edge;
    });
    this.seek.addEventListener('input', () => {
      this.seeking = true;
      const at = Number(this.seek.value);
      this.time.textContent = this.live ? `-${formatClock(Number(this.seek.max) - at)}` : `${formatClock(at)} / ${formatClock(v.duration)}`;
    });
    this.seek.addEventListener('change', () => {
      v.currentTime = Number(this.seek.value);
      this.seeking = false;
    });

    const doc = document as FullscreenDocument;
    this.fullscreen.hidden = !(doc.fullscreenEnabled || doc.webkitFullscreenEnabled);
    this.fullscreen.addEventListener('click', () => this.toggleFullscreen());
    document.addEventListener('fullscreenchange', () => this.renderFullscreen());
    document.addEventListener('webkitfullscreenchange', () => this.renderFullscreen());
    this.renderFullscreen();

    for (const event of ['play', 'pause', 'playing', 'volumechange', 'emptied']) v.addEventListener(event, () => this.renderState());
    v.addEventListener('timeupdate', () => this.renderTime());
    v.addEventListener('durationchange', () => this.renderTime());

    // Controls fade out while the video plays and nobody moves the pointer.
    for (const event of ['pointermove', 'pointerdown', 'keydown', 'touchstart']) {
      document.addEventListener(event, () => this.wake(), { passive: true });
    }
    document.addEventListener('keydown', (event) => this.onKey(event));
    this.renderState();
  }

  setLive(live: boolean): void {
    this.live = live;
    this.renderTime();
  }

  /** First play after loading: muted autoplay is allowed almost everywhere; if not, ask for a tap. */
  async autoplay(): Promise<void> {
    try {
      await this.video.play();
    } catch (err) {
      // AbortError: a reload replaced the source; the next ready() tries again.
      if ((err as Error).name === 'NotAllowedError') this.offerPlay();
    }
    this.renderState();
  }

  /** Show the big play button (autoplay=0, or autoplay refused). */
  offerPlay(): void {
    this.bigPlay.hidden = false;
  }

  showMessage(message: UserMessage | null): void {
    if (!message) {
      this.messageBox.hidden = true;
      return;
    }
    this.messageBox.hidden = false;
    this.messageBox.dataset.kind = message.kind;
    this.messageTitle.textContent = message.title;
    this.messageDetail.textContent = message.detail;
    this.retry.hidden = false;
    this.retry.textContent = message.kind === 'error' ? 'Try again' : 'Retry now';
  }

  /** A message with no way to retry: no stream given, unsupported browser. */
  showFatal(title: string, detail: string): void {
    this.showMessage({ kind: 'error', title, detail });
    this.retry.hidden = true;
  }

  showToast(text: string): void {
    this.toast.textContent = text;
    this.toast.hidden = false;
    setTimeout(() => {
      this.toast.hidden = true;
    }, 8000);
  }

  private async userPlay(): Promise<void> {
    this.video.muted = false;
    this.bigPlay.hidden = true;
    try {
      await this.video.play();
    } catch {
      // Still refused (rare): play muted rather than not at all.
      this.video.muted = true;
      await this.video.play().catch(() => undefined);
    }
    this.renderState();
  }

  private togglePlay(): void {
    if (this.video.paused) void this.userPlay();
    else this.video.pause();
  }

  private toggleMute(): void {
    this.video.muted = !this.video.muted;
    if (!this.video.muted && this.video.paused) void this.userPlay();
  }

  private toggleFullscreen(): void {
    const doc = document as FullscreenDocument;
    if (doc.fullscreenElement || doc.webkitFullscreenElement) {
      if (doc.exitFullscreen) void doc.exitFullscreen();
      else doc.webkitExitFullscreen?.();
      return;
    }
    const root = document.documentElement as FullscreenElement;
    if (root.requestFullscreen) void root.requestFullscreen().catch(() => undefined);
    else root.webkitRequestFullscreen?.();
  }

  private renderFullscreen(): void {
    const doc = document as FullscreenDocument;
    const on = Boolean(doc.fullscreenElement || doc.webkitFullscreenElement);
    this.fullscreen.innerHTML = on ? ICONS.exitFullscreen : ICONS.fullscreen;
    this.fullscreen.setAttribute('aria-label', on ? 'Exit fullscreen' : 'Fullscreen');
    this.fullscreen.title = on ? 'Exit fullscreen (f)' : 'Fullscreen (f)';
  }

  private renderState(): void {
    const v = this.video;
    this.play.innerHTML = v.paused ? ICONS.play : ICONS.pause;
    this.play.setAttribute('aria-label', v.paused ? 'Play' : 'Pause');
    this.play.title = v.paused ? 'Play (space)' : 'Pause (space)';
    this.mute.innerHTML = v.muted ? ICONS.muted : ICONS.volume;
    this.mute.setAttribute('aria-label', v.muted ? 'Unmute' : 'Mute');
    this.mute.title = v.muted ? 'Unmute (m)' : 'Mute (m)';
    // The unmute prompt is for video that plays without sound; once unmuted (or paused) it goes away.
    this.unmute.hidden = !(v.muted && !v.paused);
    if (!v.paused) this.bigPlay.hidden = true;
    document.body.classList.toggle('sc-playing', !v.paused);
  }

  private renderTime(): void {
    const v = this.video;
    this.liveBadge.hidden = !this.live;
    const vod = !this.live && Number.isFinite(v.duration) && v.duration > 0;
    this.seek.hidden = !vod;
    if (this.live) {
      // A DVR window: seek back within it; the LIVE button shows whether the viewer is at the edge.
      const ranges: Array<[number, number]> = [];
      for (let i = 0; i < v.seekable.length; i++) ranges.push([v.seekable.start(i), v.seekable.end(i)]);
      const dvr = dvrWindow(ranges);
      this.seek.hidden = !dvr;
      const behind = behindLive(v.currentTime, dvr);
      this.liveBadge.classList.toggle('sc-live-behind', behind);
      if (dvr && !this.seeking) {
        this.seek.min = String(dvr.start);
        this.seek.max = String(dvr.end);
        this.seek.value = String(v.currentTime);
      }
      if (!this.seeking) this.time.textContent = behind && dvr ? `-${formatClock(dvr.end - v.currentTime)}` : '';
      return;
    }
    if (vod && !this.seeking) {
      this.seek.min = '0';
      this.seek.max = String(v.duration);
      this.seek.value = String(v.currentTime);
    }
    if (!this.seeking) this.time.textContent = vod ? `${formatClock(v.currentTime)} / ${formatClock(v.duration)}` : formatClock(v.currentTime);
  }

  private wake(): void {
    document.body.classList.remove('sc-idle');
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      if (!this.video.paused) document.body.classList.add('sc-idle');
    }, 3000);
  }

  private onKey(event: KeyboardEvent): void {
    if (event.target instanceof HTMLInputElement || event.metaKey || event.ctrlKey || event.altKey) return;
    if (event.key === ' ' || event.key === 'k') {
      event.preventDefault();
      this.togglePlay();
    } else if (event.key === 'm') this.toggleMute();
    else if (event.key === 'f') this.toggleFullscreen();
  }
}
