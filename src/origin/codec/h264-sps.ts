import { scError } from '../../shared/errors';
import { BitReader } from './bit-reader';

/** What the packager and the master playlist need from an H.264 sequence parameter set. */
export interface H264Sps {
  profileIdc: number;
  constraintFlags: number;
  levelIdc: number;
  chromaFormatIdc: number;
  bitDepthLuma: number;
  width: number;
  height: number;
}

/** Largest picture any H.264 level allows is 139264 macroblocks (Table A-1, level 6.2). */
const MAX_FRAME_MBS = 139_264;
/** 16384 pixels on a side: the largest width or height a level 6.2 picture can have at its area. */
const MAX_SIDE_MBS = 1024;
/** H.264 A.3.1 (h): max_dec_frame_buffering, hence max_num_ref_frames, is at most 16. */
const MAX_REF_FRAMES = 16;
/** The SPS of any real stream is a few dozen bytes; this leaves room for scaling lists and VUI. */
export const MAX_SPS_BYTES = 1024;

const HIGH_PROFILES = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);

function fail(reason: string): never {
  throw scError('SC_ERR_CODEC_CONFIG', `H.264 SPS: ${reason}`);
}

function inRange(v: number, min: number, max: number, name: string): number {
  if (v < min || v > max) fail(`${name} = ${v}, allowed ${min}..${max} (H.264 7.4.2.1.1)`);
  return v;
}

/** NAL payload to RBSP: drops each emulation_prevention_three_byte (00 00 03). */
export function nalToRbsp(nal: Buffer): Buffer {
  const out = Buffer.alloc(nal.length);
  let n = 0;
  let zeros = 0;
  for (const b of nal) {
    if (zeros >= 2 && b === 3) {
      zeros = 0;
      continue;
    }
    zeros = b === 0 ? zeros + 1 : 0;
    out[n++] = b;
  }
  return out.subarray(0, n);
}

function skipScalingList(r: BitReader, size: number): void {
  let last = 8;
  let next = 8;
  for (let j = 0; j < size; j++) {
    if (next !== 0) {
      const delta = inRange(r.se('delta_scale'), -128, 127, 'delta_scale');
      next = (last + delta + 256) % 256;
    }
    last = next === 0 ? last : next;
  }
}

/**
 * Pure: parses an SPS NAL unit (with its one-byte NAL header) as far as the picture size,
 * validating every field against the range H.264 7.4.2.1.1 allows. Throws SC_ERR_CODEC_CONFIG.
 * Bounded: input at most MAX_SPS_BYTES, every loop count checked before it runs.
 */
export function parseH264Sps(nal: Buffer): H264Sps {
  if (nal.length < 4) fail(`${nal.length} bytes is too short`);
  if (nal.length > MAX_SPS_BYTES) fail(`${nal.length} bytes is longer than ${MAX_SPS_BYTES}`);
  if (nal[0]! & 0x80) fail('forbidden_zero_bit is set');
  if ((nal[0]! & 0x1f) !== 7) fail(`NAL unit type ${nal[0]! & 0x1f} is not an SPS (7)`);
  const r = new BitReader(nalToRbsp(nal.subarray(1)));
  const profileIdc = r.u(8);
  const constraintFlags = r.u(8);
  const levelIdc = r.u(8);
  inRange(r.ue('seq_parameter_set_id'), 0, 31, 'seq_parameter_set_id');
  let chromaFormatIdc = 1;
  let bitDepthLuma = 8;
  let separateColourPlane = false;
  if (HIGH_PROFILES.has(profileIdc)) {
    chromaFormatIdc = inRange(r.ue('chroma_format_idc'), 0, 3, 'chroma_format_idc');
    if (chromaFormatIdc === 3) separateColourPlane = r.flag();
    bitDepthLuma = 8 + inRange(r.ue('bit_depth_luma_minus8'), 0, 6, 'bit_depth_luma_minus8');
    inRange(r.ue('bit_depth_chroma_minus8'), 0, 6, 'bit_depth_chroma_minus8');
    r.skip(1, 'qpprime_y_zero_transform_bypass_flag');
    if (r.flag('seq_scaling_matrix_present_flag')) {
      const lists = chromaFormatIdc !== 3 ? 8 : 12;
      for (let i = 0; i < lists; i++) if (r.flag('seq_scaling_list_present_flag')) skipScalingList(r, i < 6 ? 16 : 64);
    }
  }
  inRange(r.ue('log2_max_frame_num_minus4'), 0, 12, 'log2_max_frame_num_minus4');
  const pocType = inRange(r.ue('pic_order_cnt_type'), 0, 2, 'pic_order_cnt_type');
  if (pocType === 0) {
    inRange(r.ue('log2_max_pic_order_cnt_lsb_minus4'), 0, 12, 'log2_max_pic_order_cnt_lsb_minus4');
  } else if (pocType === 1) {
    r.skip(1, 'delta_pic_order_always_zero_flag');
    r.se('offset_for_non_ref_pic');
    r.se('offset_for_top_to_bottom_field');
    const cycle = inRange(r.ue('num_ref_frames_in_pic_order_cnt_cycle'), 0, 255, 'num_ref_frames_in_pic_order_cnt_cycle');
    for (let i = 0; i < cycle; i++) r.se('offset_for_ref_frame');
  }
  inRange(r.ue('max_num_ref_frames'), 0, MAX_REF_FRAMES, 'max_num_ref_frames');
  r.skip(1, 'gaps_in_frame_num_value_allowed_flag');
  const widthMbs = inRange(r.ue('pic_width_in_mbs_minus1') + 1, 1, MAX_SIDE_MBS, 'pic_width_in_mbs');
  const heightMapUnits = inRange(r.ue('pic_height_in_map_units_minus1') + 1, 1, MAX_SIDE_MBS, 'pic_height_in_map_units');
  const frameMbsOnly = r.flag('frame_mbs_only_flag');
  const heightMbs = (frameMbsOnly ? 1 : 2) * heightMapUnits;
  if (heightMbs > MAX_SIDE_MBS) fail(`frame height of ${heightMbs} macroblocks exceeds ${MAX_SIDE_MBS}`);
  if (widthMbs * heightMbs > MAX_FRAME_MBS) fail(`${widthMbs}x${heightMbs} macroblocks exceed the largest level's ${MAX_FRAME_MBS}`);
  if (!frameMbsOnly) r.skip(1, 'mb_adaptive_frame_field_flag');
  r.skip(1, 'direct_8x8_inference_flag');
  let width = widthMbs * 16;
  let height = heightMbs * 16;
  if (r.flag('frame_cropping_flag')) {
    // 7.4.2.1.1: crop units depend on chroma subsampling (ChromaArrayType) and field coding.
    const chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
    const cropX = chromaArrayType === 0 ? 1 : chromaArrayType === 3 ? 1 : 2;
    const cropY = (chromaArrayType === 1 ? 2 : 1) * (frameMbsOnly ? 1 : 2);
    const left = r.ue('frame_crop_left_offset');
    const right = r.ue('frame_crop_right_offset');
    const top = r.ue('frame_crop_top_offset');
    const bottom = r.ue('frame_crop_bottom_offset');
    width -= cropX * (left + right);
    height -= cropY * (top + bottom);
    if (width < 1 || height < 1) fail('frame cropping leaves no picture');
  }
  return { profileIdc, constraintFlags, levelIdc, chromaFormatIdc, bitDepthLuma, width, height };
}
