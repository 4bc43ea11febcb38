import { scError } from '../../shared/errors';
import { hevcCodecString } from '../../shared/mp4/hevc-codec-string';
import { BitReader } from './bit-reader';
import { nalToRbsp } from './h264-sps';

/** HEVCDecoderConfigurationRecord (ISO/IEC 14496-15 8.3.3.1), validated. */
export interface HevcConfig {
  /** RFC 6381 / ISO/IEC 14496-15 E.3 codec string, e.g. hvc1.1.6.L93.B0. */
  codec: string;
  nalLengthSize: number;
  width: number;
  height: number;
}

const NAL_SPS = 33;
/** The SPS of any real stream is a few dozen bytes; this leaves room for extensions and VUI. */
const MAX_SPS_BYTES = 1024;
/** H.265 A.4.1: sqrt(8 x MaxLumaPs) of level 6.2 bounds either side of a picture. */
const MAX_SIDE = 16_888;
const MAX_LUMA_PICTURE = 35_651_584;
const RECORD_HEADER = 23;

function fail(reason: string): never {
  throw scError('SC_ERR_CODEC_CONFIG', `HEVCDecoderConfigurationRecord: ${reason}`);
}

/** profile_tier_level(1, maxSubLayersMinus1), H.265 7.3.3: skipped, its size checked. */
function skipProfileTierLevel(r: BitReader, maxSubLayersMinus1: number): void {
  r.skip(96, 'general profile, tier and level');
  const profilePresent: boolean[] = [];
  const levelPresent: boolean[] = [];
  for (let i = 0; i < maxSubLayersMinus1; i++) {
    profilePresent.push(r.flag('sub_layer_profile_present_flag'));
    levelPresent.push(r.flag('sub_layer_level_present_flag'));
  }
  if (maxSubLayersMinus1 > 0) r.skip(2 * (8 - maxSubLayersMinus1), 'reserved_zero_2bits');
  for (let i = 0; i < maxSubLayersMinus1; i++) {
    if (profilePresent[i]) r.skip(88, 'sub-layer profile');
    if (levelPresent[i]) r.skip(8, 'sub_layer_level_idc');
  }
}

/** Pure: picture size from an HEVC SPS NAL unit (with its two-byte header), H.265 7.3.2.2. */
export function hevcPictureSize(nal: Buffer): { width: number; height: number } {
  if (nal.length < 4 || nal.length > MAX_SPS_BYTES) fail(`SPS of ${nal.length} bytes`);
  if (((nal[0]! >> 1) & 0x3f) !== NAL_SPS) fail('first SPS array entry is not an SPS');
  const r = new BitReader(nalToRbsp(nal.subarray(2)));
  r.skip(4, 'sps_video_parameter_set_id');
  const maxSubLayersMinus1 = r.u(3, 'sps_max_sub_layers_minus1');
  if (maxSubLayersMinus1 > 6) fail(`sps_max_sub_layers_minus1 = ${maxSubLayersMinus1}, allowed 0..6`);
  r.skip(1, 'sps_temporal_id_nesting_flag');
  skipProfileTierLevel(r, maxSubLayersMinus1);
  if (r.ue('sps_seq_parameter_set_id') > 15) fail('sps_seq_parameter_set_id above 15');
  const chroma = r.ue('chroma_format_idc');
  if (chroma > 3) fail(`chroma_format_idc = ${chroma}`);
  const separatePlanes = chroma === 3 && r.flag('separate_colour_plane_flag');
  const codedWidth = r.ue('pic_width_in_luma_samples');
  const codedHeight = r.ue('pic_height_in_luma_samples');
  if (codedWidth < 1 || codedHeight < 1 || codedWidth > MAX_SIDE || codedHeight > MAX_SIDE || codedWidth * codedHeight > MAX_LUMA_PICTURE) {
    fail(`picture of ${codedWidth}x${codedHeight} is outside what level 6.2 allows`);
  }
  let width = codedWidth;
  let height = codedHeight;
  if (r.flag('conformance_window_flag')) {
    // Table 6-1: offsets count in chroma samples.
    const arrayType = separatePlanes ? 0 : chroma;
    const subWidth = arrayType === 1 || arrayType === 2 ? 2 : 1;
    const subHeight = arrayType === 1 ? 2 : 1;
    const left = r.ue('conf_win_left_offset');
    const right = r.ue('conf_win_right_offset');
    const top = r.ue('conf_win_top_offset');
    const bottom = r.ue('conf_win_bottom_offset');
    width -= subWidth * (left + right);
    height -= subHeight * (top + bottom);
    if (width < 1 || height < 1) fail('the conformance window leaves no picture');
  }
  return { width, height };
}

/**
 * Pure: parses the record an Enhanced RTMP `hvc1` sequence start carries. Every array and NAL
 * length is checked against the bytes present; the picture size comes from the first SPS.
 * Throws SC_ERR_CODEC_CONFIG.
 */
export function parseHevcConfig(record: Buffer): HevcConfig {
  if (record.length < RECORD_HEADER) fail(`${record.length} bytes is too short`);
  if (record[0] !== 1) fail(`configurationVersion ${record[0]} is not 1`);
  const nalLengthSize = (record[21]! & 0x03) + 1;
  if (nalLengthSize === 3) fail('lengthSizeMinusOne of 2 is reserved');
  const arrays = record[22]!;
  let p = RECORD_HEADER;
  let sps: Buffer | undefined;
  for (let a = 0; a < arrays; a++) {
    if (p + 3 > record.length) fail(`array ${a} runs past the end`);
    const type = record[p]! & 0x3f;
    const count = record.readUInt16BE(p + 1);
    p += 3;
    for (let n = 0; n < count; n++) {
      if (p + 2 > record.length) fail(`NAL unit ${n} of array ${a} runs past the end`);
      const len = record.readUInt16BE(p);
      p += 2;
      if (len === 0 || p + len > record.length) fail(`NAL unit of ${len} bytes runs past the end`);
      if (type === NAL_SPS && !sps) sps = record.subarray(p, p + len);
      p += len;
    }
  }
  if (!sps) fail('no SPS');
  return { codec: hevcCodecString(record), nalLengthSize, ...hevcPictureSize(sps) };
}
