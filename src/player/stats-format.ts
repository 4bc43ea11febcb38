// Text of the stats overlay. Pure, so the numbers people read are tested directly.

export interface StatsSample {
  engine: string;
  width: number;
  height: number;
  /** The layout shown, e.g. "equirect, top-bottom (stream)". */
  layout?: string;
  /** Bitrate of the rendition playing now (bits/s), when the playlist says. */
  levelBitrate?: number;
  /** hls.js' bandwidth estimate (bits/s). */
  estimatedBandwidth?: number;
  /** Seconds of media buffered ahead of the play position. */
  bufferSeconds: number;
  live: boolean;
  /** Seconds behind the live edge; only for live streams. */
  latencySeconds?: number;
  droppedFrames?: number;
  totalFrames?: number;
  /** "Auto" or the chosen level. */
  quality?: string;
  /** Viewport renditions: the yaw on screen, the yaw chosen for the view (loading), how many there are. */
  viewport?: { activeYaw?: number; chosenYaw?: number; count: number };
}

/** "yaw 90° (of 4)", or "yaw 90° → 180° (of 4)" while the rendition for a new view is on its way. */
export function formatViewport(v: NonNullable<StatsSample['viewport']>): string {
  const deg = (yaw: number | undefined): string => (yaw === undefined ? '–' : `${Math.round(yaw * 10) / 10}°`);
  const turning = v.chosenYaw !== undefined && v.chosenYaw !== v.activeYaw ? ` → ${deg(v.chosenYaw)}` : '';
  return `yaw ${deg(v.activeYaw)}${turning} (of ${v.count})`;
}

export function formatBitrate(bitsPerSecond: number | undefined): string {
  if (bitsPerSecond === undefined || !Number.isFinite(bitsPerSecond) || bitsPerSecond <= 0) return '–';
  if (bitsPerSecond >= 1e6) return `${(bitsPerSecond / 1e6).toFixed(bitsPerSecond >= 1e7 ? 0 : 1)} Mbit/s`;
  return `${Math.round(bitsPerSecond / 1e3)} kbit/s`;
}

export function formatSeconds(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '–';
  return `${seconds.toFixed(1)} s`;
}

/** "1:05", "1:02:03" for a play position or duration. */
export function formatClock(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '0:00';
  const s = Math.floor(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

export function formatStats(s: StatsSample): Array<[string, string]> {
  const rows: Array<[string, string]> = [];
  rows.push(['Resolution', s.width > 0 && s.height > 0 ? `${s.width}×${s.height}` : '–']);
  if (s.layout) rows.push(['Layout', s.layout]);
  rows.push(['Bitrate', formatBitrate(s.levelBitrate)]);
  if (s.estimatedBandwidth !== undefined) rows.push(['Bandwidth', formatBitrate(s.estimatedBandwidth)]);
  rows.push(['Buffer', formatSeconds(s.bufferSeconds)]);
  if (s.live) rows.push(['Latency', formatSeconds(s.latencySeconds)]);
  if (s.quality) rows.push(['Quality', s.quality]);
  if (s.viewport) rows.push(['Viewport', formatViewport(s.viewport)]);
  if (s.totalFrames !== undefined && s.totalFrames > 0) rows.push(['Dropped', `${s.droppedFrames ?? 0} / ${s.totalFrames} frames`]);
  rows.push(['Engine', s.engine]);
  return rows;
}

/** Seconds buffered ahead of `time`, from a video element's TimeRanges-like list. */
export function bufferAhead(ranges: ReadonlyArray<[number, number]>, time: number): number {
  for (const [start, end] of ranges) {
    // A small tolerance: the play position can sit a few ms before the first buffered range.
    if (time >= start - 0.1 && time <= end) return Math.max(0, end - time);
  }
  return 0;
}
