/// <reference lib="dom" />
// Plays a VOD asset's or a live stream's viewport renditions (src/transcoder/viewport-renditions.ts,
// src/origin/live-viewport.ts) with hls.js: the viewport master's variants are the levels, ABR is off, and every
// quarter second the level for where the viewer looks is chosen. It is set as hls.nextLevel: hls.js keeps the fragment playing now, drops what it buffered after it and
// loads the next fragment from the new level, so the picture changes at the next segment boundary (the renditions'
// keyframes are aligned) without a stall.
import type Hls from 'hls.js';
import { chooseViewportRendition } from '../shared/layout/viewport-listing';
import type { ViewportSource } from './viewport-source';

const POLL_MS = 250;
/** Of the spacing between renditions: how much nearer another must be before switching (no flapping at midpoints). */
const HYSTERESIS_SHARE = 0.1;

export class ViewportSwitcher {
  private timer?: ReturnType<typeof setInterval>;
  private chosen?: number;

  constructor(
    private readonly hls: Hls,
    private readonly source: ViewportSource,
    /** The viewer's yaw now, degrees (positive = right of the picture's middle); undefined while unknown. */
    private readonly viewYaw: () => number | undefined,
  ) {}

  /** Call once hls.js has parsed the viewport master: starts on the level for the current view, then follows it. */
  start(): void {
    this.follow(true);
    this.timer = setInterval(() => this.follow(false), POLL_MS);
  }

  close(): void {
    clearInterval(this.timer);
  }

  /** The yaw of the rendition on screen now (hls.js' current level), if it is one of ours. */
  activeYaw(): number | undefined {
    const i = this.renditionOfLevel(this.hls.currentLevel);
    return i === undefined ? undefined : this.source.listing.renditions[i].yaw;
  }

  /** The yaw of the rendition being loaded next (the one chosen for the view). */
  chosenYaw(): number | undefined {
    return this.chosen === undefined ? undefined : this.source.listing.renditions[this.chosen].yaw;
  }

  private follow(first: boolean): void {
    const yaw = this.viewYaw() ?? 0;
    const renditions = this.source.listing.renditions;
    const spacing = 360 / renditions.length;
    const next = chooseViewportRendition(renditions, yaw, this.chosen, spacing * HYSTERESIS_SHARE);
    if (next === this.chosen) return;
    const level = this.levelOfRendition(next);
    if (level === undefined) return;
    this.chosen = next;
    // Before anything is buffered, start there; later, switch at the next fragment.
    if (first) this.hls.currentLevel = level;
    else this.hls.nextLevel = level;
  }

  private levelOfRendition(i: number): number | undefined {
    const path = new URL(this.source.renditionUrls[i]).pathname;
    const level = this.hls.levels.findIndex((l) => new URL(l.uri, location.href).pathname === path);
    return level < 0 ? undefined : level;
  }

  private renditionOfLevel(level: number): number | undefined {
    const l = this.hls.levels[level];
    if (!l) return undefined;
    const path = new URL(l.uri, location.href).pathname;
    const i = this.source.renditionUrls.findIndex((u) => new URL(u).pathname === path);
    return i < 0 ? undefined : i;
  }
}
