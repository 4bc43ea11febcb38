// Where a viewport (orientation-biased) rendition of a 2:1 mono equirect picture puts its bits: K yaws 360/K apart,
// each favouring the band of yaw a viewer facing it sees, as ffmpeg addroi filters. Used by the transcoder's VOD
// renditions and the origin's live ones alike. Pure.

/** K yaws 360/K apart, from 0, in degrees rounded to hundredths. */
export function viewportYaws(count: number): number[] {
  return Array.from({ length: count }, (_, i) => Math.round((i * 36000) / count) / 100);
}

/**
 * Degrees of yaw a rendition favours: the 90 degree viewport, widened by the most a viewer is off the nearest of K
 * renditions (180/K) on either side.
 */
export function favouredBand(count: number): number {
  return Math.min(360, 90 + 360 / count);
}

/**
 * addroi filters over the band facing `yaw` of a `width` x `height` equirect (yaw 0 = the middle column, positive =
 * right), wrapping round the picture's edge, over the pitch band of a level 90 degree viewport (+-45 degrees). The
 * first one clears any regions already on the frame.
 */
export function roiFilters(width: number, height: number, yaw: number, count: number, qoffset: number): string {
  const w = Math.min(width, Math.round((width * favouredBand(count)) / 360));
  const centre = width / 2 + (yaw / 360) * width;
  const start = ((Math.round(centre - w / 2) % width) + width) % width;
  const first = Math.min(w, width - start);
  const y = Math.round(height / 4);
  const h = Math.round(height / 2);
  const roi = (x: number, wd: number, clear: boolean): string => `addroi=x=${x}:y=${y}:w=${wd}:h=${h}:qoffset=${qoffset}${clear ? ':clear=1' : ''}`;
  return [roi(start, first, true), ...(first < w ? [roi(0, w - first, false)] : [])].join(',');
}
