// Labels and order of the quality menu. Pure.

export interface LevelInfo {
  width?: number;
  height?: number;
  bitrate?: number;
}

export interface QualityChoice {
  /** hls.js level index; -1 = automatic. */
  index: number;
  label: string;
}

export function levelLabel(level: LevelInfo): string {
  const parts: string[] = [];
  if (level.height && level.height > 0) parts.push(`${level.height}p`);
  else if (level.width && level.width > 0) parts.push(`${level.width}w`);
  if (level.bitrate && level.bitrate > 0) {
    parts.push(level.bitrate >= 1e6 ? `${(level.bitrate / 1e6).toFixed(1)} Mbit/s` : `${Math.round(level.bitrate / 1e3)} kbit/s`);
  }
  return parts.length ? parts.join(' · ') : 'Unknown';
}

/** Auto first, then levels from best to worst (hls.js lists them in playlist order, usually worst first). */
export function qualityChoices(levels: readonly LevelInfo[]): QualityChoice[] {
  const indexed = levels.map((level, index) => ({ level, index }));
  indexed.sort((a, b) => (b.level.height ?? 0) - (a.level.height ?? 0) || (b.level.bitrate ?? 0) - (a.level.bitrate ?? 0));
  return [{ index: -1, label: 'Auto' }, ...indexed.map(({ level, index }) => ({ index, label: levelLabel(level) }))];
}

/** Button text: "Auto (720p)" while automatic, else the chosen level's label. */
export function qualityButtonLabel(levels: readonly LevelInfo[], autoEnabled: boolean, currentIndex: number): string {
  const current = currentIndex >= 0 ? levels[currentIndex] : undefined;
  if (autoEnabled) return current?.height ? `Auto (${current.height}p)` : 'Auto';
  return current ? levelLabel(current) : 'Auto';
}
