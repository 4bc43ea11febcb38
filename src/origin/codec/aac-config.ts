import { scError } from '../../shared/errors';
import { BitReader } from './bit-reader';

/** AudioSpecificConfig (ISO/IEC 14496-3 1.6.2.1), as far as HLS needs it. */
export interface AacConfig {
  /** RFC 6381 codec string, e.g. mp4a.40.2. */
  codec: string;
  objectType: number;
  sampleRate: number;
  /** channelConfiguration 1..7; 0 means "defined in a program config element". */
  channels: number;
}

const SAMPLE_RATES = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];

function fail(reason: string): never {
  throw scError('SC_ERR_CODEC_CONFIG', `AAC AudioSpecificConfig: ${reason}`);
}

/** Pure: parses an AudioSpecificConfig (after the 2-byte FLV audio header). Throws SC_ERR_CODEC_CONFIG. */
export function parseAacConfig(asc: Buffer): AacConfig {
  if (asc.length < 2) fail(`${asc.length} bytes is too short`);
  const r = new BitReader(asc);
  let objectType = r.u(5, 'audioObjectType');
  if (objectType === 31) objectType = 32 + r.u(6, 'audioObjectTypeExt');
  if (objectType === 0) fail('audioObjectType 0 is not a codec');
  const rateIndex = r.u(4, 'samplingFrequencyIndex');
  let sampleRate: number;
  if (rateIndex === 15) sampleRate = r.u(24, 'samplingFrequency');
  else if (rateIndex < SAMPLE_RATES.length) sampleRate = SAMPLE_RATES[rateIndex]!;
  else fail(`samplingFrequencyIndex ${rateIndex} is reserved`);
  if (sampleRate < 1000 || sampleRate > 192_000) fail(`sampling frequency ${sampleRate} Hz is out of range`);
  const channels = r.u(4, 'channelConfiguration');
  if (channels > 7) fail(`channelConfiguration ${channels} is reserved`);
  return { codec: `mp4a.40.${objectType}`, objectType, sampleRate, channels };
}
