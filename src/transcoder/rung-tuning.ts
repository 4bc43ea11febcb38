import type { EncoderTuning } from './ffmpeg-hls-job';
import { X264_PRESETS } from '../shared/abr-ladder';
import { parseBitrate } from './ladder';

/**
 * Per-rung encoder settings (RUNG_TUNING): rules by picture size, the first whose `maxPixels` the rendition fits
 * under wins. Small rungs cost little to encode and gain nothing from x264's frame threads, whose extra threads,
 * lookahead copies and synchronisation are overhead on a small worker; big rungs keep the threads that let one
 * ffmpeg run use every core.
 */
export interface TuningRule extends EncoderTuning {
  /** Width x height at most. */
  readonly maxPixels: number;
}

/** x264's presets; x265 has the same names. */
const PRESET_NAMES: ReadonlySet<string> = new Set(X264_PRESETS);

/** Validates a RUNG_TUNING value: `[{"maxPixels":230400,"threads":1},{"maxPixels":921600,"preset":"faster"}]`. Pure. */
export function parseRungTuning(value: unknown): readonly TuningRule[] {
  if (!Array.isArray(value)) throw new Error('must be a JSON array of {"maxPixels", "preset"?, "threads"?} rules');
  if (value.length > 32) throw new Error('at most 32 rules');
  return Object.freeze(
    value.map((entry, i): TuningRule => {
      const where = `rule ${i + 1}`;
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw new Error(`${where} is not an object`);
      const e = entry as Record<string, unknown>;
      const unknown = Object.keys(e).filter((k) => !['maxPixels', 'preset', 'threads'].includes(k));
      if (unknown.length) throw new Error(`${where}: unknown field ${JSON.stringify(unknown[0])}`);
      const maxPixels = typeof e.maxPixels === 'string' ? parseBitrate(e.maxPixels) : e.maxPixels;
      if (typeof maxPixels !== 'number' || !Number.isInteger(maxPixels) || maxPixels < 1) throw new Error(`${where}: maxPixels must be a whole number above 0`);
      if (e.preset !== undefined && (typeof e.preset !== 'string' || !PRESET_NAMES.has(e.preset))) throw new Error(`${where}: preset must be one of ${X264_PRESETS.join(', ')}`);
      if (e.threads !== undefined && (typeof e.threads !== 'number' || !Number.isInteger(e.threads) || e.threads < 0 || e.threads > 256)) {
        throw new Error(`${where}: threads must be a whole number from 0 to 256`);
      }
      return { maxPixels, ...(e.preset !== undefined ? { preset: e.preset as string } : {}), ...(e.threads !== undefined ? { threads: e.threads as number } : {}) };
    }),
  );
}

/** The settings of the first rule a `width` x `height` rendition fits under, or undefined. Pure. */
export function tuningFor(rules: readonly TuningRule[], r: { width: number; height: number }): EncoderTuning | undefined {
  const rule = rules.find((x) => r.width * r.height <= x.maxPixels);
  if (!rule) return undefined;
  const { maxPixels: _, ...tuning } = rule;
  return tuning;
}
