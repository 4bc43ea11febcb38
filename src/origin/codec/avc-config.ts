import { scError } from '../../shared/errors';
import { parseH264Sps, type H264Sps } from './h264-sps';

/** AVCDecoderConfigurationRecord (ISO/IEC 14496-15 5.3.3.1), validated. */
export interface AvcConfig {
  /** RFC 6381 codec string, e.g. avc1.64001f. */
  codec: string;
  profileIdc: number;
  levelIdc: number;
  /** Bytes of each NAL unit's length prefix in the samples: 1, 2 or 4. */
  nalLengthSize: number;
  sps: Buffer[];
  pps: Buffer[];
  /** The first SPS, parsed. */
  first: H264Sps;
  width: number;
  height: number;
}

const hex2 = (n: number) => n.toString(16).padStart(2, '0');

function fail(reason: string): never {
  throw scError('SC_ERR_CODEC_CONFIG', `AVCDecoderConfigurationRecord: ${reason}`);
}

/**
 * Pure: parses the record an FLV AVC sequence header carries (after its 5-byte video tag
 * header). Every length is checked against the bytes present; the first SPS is parsed with the
 * bounded SPS parser. Throws SC_ERR_CODEC_CONFIG.
 */
export function parseAvcConfig(record: Buffer): AvcConfig {
  if (record.length < 7) fail(`${record.length} bytes is too short`);
  if (record[0] !== 1) fail(`configurationVersion ${record[0]} is not 1`);
  const nalLengthSize = (record[4]! & 0x03) + 1;
  if (nalLengthSize === 3) fail('lengthSizeMinusOne of 2 is reserved');
  let p = 6;
  const readSets = (count: number, what: string): Buffer[] => {
    const sets: Buffer[] = [];
    for (let i = 0; i < count; i++) {
      if (p + 2 > record.length) fail(`${what} ${i} length runs past the end`);
      const len = record.readUInt16BE(p);
      p += 2;
      if (len === 0 || p + len > record.length) fail(`${what} ${i} of ${len} bytes runs past the end`);
      sets.push(record.subarray(p, p + len));
      p += len;
    }
    return sets;
  };
  const sps = readSets(record[5]! & 0x1f, 'SPS');
  if (p >= record.length) fail('no PPS count');
  const pps = readSets(record[p++]!, 'PPS');
  if (!sps.length) fail('no SPS');
  const first = parseH264Sps(sps[0]!);
  return {
    codec: `avc1.${hex2(record[1]!)}${hex2(record[2]!)}${hex2(record[3]!)}`,
    profileIdc: first.profileIdc,
    levelIdc: first.levelIdc,
    nalLengthSize,
    sps,
    pps,
    first,
    width: first.width,
    height: first.height,
  };
}
