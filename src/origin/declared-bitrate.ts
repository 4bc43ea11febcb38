import { decodeAmf0, type Amf0Limits } from './rtmp/amf0';

/** onMetaData is one small object: encoders send a few dozen properties. */
const METADATA_LIMITS: Amf0Limits = { maxDepth: 4, maxItems: 256, maxStringLength: 1024, maxBytes: 16 * 1024 };
/** Declared rates beyond this (kbit/s) are not believed. */
const MAX_KBPS = 1_000_000;

/**
 * Pure: the video bitrate (bits/s) a publisher declares in its onMetaData (`videodatarate`, kbit/s, as FLV and
 * OBS/ffmpeg write it), or undefined when the tag is not onMetaData, declares none, or does not decode within
 * METADATA_LIMITS.
 */
export function declaredVideoBitrate(body: Buffer): number | undefined {
  let values;
  try {
    values = decodeAmf0(body, METADATA_LIMITS);
  } catch {
    return undefined;
  }
  const [name, data] = values;
  if (name !== 'onMetaData' || typeof data !== 'object' || data === null || Array.isArray(data) || data instanceof Date) return undefined;
  const kbps = data.videodatarate;
  return typeof kbps === 'number' && kbps > 0 && kbps <= MAX_KBPS ? Math.round(kbps * 1000) : undefined;
}
