import t from 'tap';
import { BitReader } from '../../src/origin/codec/bit-reader';
import { nalToRbsp, parseH264Sps } from '../../src/origin/codec/h264-sps';
import { parseAvcConfig } from '../../src/origin/codec/avc-config';
import { parseAacConfig } from '../../src/origin/codec/aac-config';
import { avcRecord, avcSequenceHeader, baselineSps, hostileSps, rbsp, se, ue } from '../fixtures/h264-bits';

const codecError = { code: 'SC_ERR_CODEC_CONFIG' };

t.test('the bit reader decodes exp-Golomb codes and never reads past the end', async (t) => {
  const r = new BitReader(rbsp(ue(0) + ue(1) + ue(79) + se(-3) + se(4)));
  t.same([r.ue(), r.ue(), r.ue(), r.se(), r.se()], [0, 1, 79, -3, 4]);
  t.equal(new BitReader(Buffer.from([0xff, 0xff, 0xff, 0xff])).u(32), 0xffffffff);
  t.throws(() => new BitReader(Buffer.from([0])).ue(), codecError, 'all zeros: the code never ends within the bytes');
  t.throws(() => new BitReader(Buffer.alloc(16)).ue(), codecError, '32+ leading zeros are refused');
  t.equal(new BitReader(rbsp('0'.repeat(31) + '1' + '0'.repeat(31))).ue(), 2 ** 31 - 1, '31 leading zeros are the longest code');
  const short = new BitReader(Buffer.from([0x80]));
  t.throws(() => short.u(9), codecError);
  t.throws(() => short.skip(9), codecError);
});

t.test('emulation prevention bytes are removed', async (t) => {
  t.same(nalToRbsp(Buffer.from([0, 0, 3, 1, 0, 0, 3, 0, 3])), Buffer.from([0, 0, 1, 0, 0, 0, 3]));
});

t.test('an SPS gives profile, level and the cropped picture size', async (t) => {
  t.match(parseH264Sps(baselineSps(80, 45)), { profileIdc: 66, levelIdc: 31, width: 1280, height: 720 });
  // High profile 1920x1080: 68 macroblock rows cropped by 4 (x2 for 4:2:0) lines at the bottom.
  const high = Buffer.concat([
    Buffer.from([0x67, 100, 0, 40]),
    rbsp(ue(0) + ue(1) + ue(0) + ue(0) + '0' + '0' + ue(0) + ue(0) + ue(0) + ue(4) + '0' + ue(119) + ue(67) + '1' + '1' + '1' + ue(0) + ue(0) + ue(0) + ue(4) + '0'),
  ]);
  t.match(parseH264Sps(high), { profileIdc: 100, width: 1920, height: 1080, chromaFormatIdc: 1 });
});

t.test('SPS fields outside the ranges of H.264 7.4.2.1.1 are refused', async (t) => {
  t.throws(() => parseH264Sps(hostileSps()), { code: 'SC_ERR_CODEC_CONFIG', message: /num_ref_frames_in_pic_order_cnt_cycle = 1073741823/ });
  const sps = (body: string) => Buffer.concat([Buffer.from([0x67, 66, 0, 30]), rbsp(body)]);
  t.throws(() => parseH264Sps(sps(ue(32))), { message: /seq_parameter_set_id/ });
  t.throws(() => parseH264Sps(sps(ue(0) + ue(13))), { message: /log2_max_frame_num_minus4/ });
  t.throws(() => parseH264Sps(sps(ue(0) + ue(0) + ue(3))), { message: /pic_order_cnt_type/ });
  t.throws(() => parseH264Sps(sps(ue(0) + ue(0) + ue(2) + ue(17))), { message: /max_num_ref_frames/ });
  t.throws(() => parseH264Sps(baselineSps(1025, 10)), { message: /pic_width_in_mbs/ });
  t.throws(() => parseH264Sps(baselineSps(1000, 1000)), { message: /exceed/ });
  const crop = sps(ue(0) + ue(0) + ue(2) + ue(1) + '0' + ue(0) + ue(0) + '1' + '1' + '1' + ue(8) + ue(0) + ue(0) + ue(0));
  t.throws(() => parseH264Sps(crop), { message: /cropping/ });
  t.throws(() => parseH264Sps(Buffer.from([0x68, 66, 0, 30, 0xff])), { message: /not an SPS/ });
  t.throws(() => parseH264Sps(Buffer.from([0x67, 66, 0])), { message: /too short/ });
  t.throws(() => parseH264Sps(Buffer.concat([Buffer.from([0x67, 66, 0, 30]), Buffer.alloc(2000, 0xff)])), { message: /longer than/ });
  // Truncated anywhere: an error, never a wrong answer or a hang.
  const good = baselineSps(80, 45);
  for (let n = 4; n < good.length - 1; n++) t.throws(() => parseH264Sps(good.subarray(0, n)), codecError, `truncated at ${n}`);
});

t.test('the AVC configuration record is validated and its first SPS parsed', async (t) => {
  const rec = parseAvcConfig(avcRecord(baselineSps(80, 45)));
  t.match(rec, { codec: 'avc1.42001f', nalLengthSize: 4, width: 1280, height: 720 });
  t.equal(rec.sps.length, 1);
  t.equal(rec.pps.length, 1);
  t.throws(() => parseAvcConfig(avcRecord(hostileSps())), codecError);
  t.ok(avcSequenceHeader(avcRecord(hostileSps())).length <= 40, 'the attack fits in a few dozen bytes');
  const good = avcRecord(baselineSps(80, 45));
  for (let n = 0; n < good.length; n++) t.throws(() => parseAvcConfig(good.subarray(0, n)), codecError, `truncated at ${n}`);
  const v2 = Buffer.from(good);
  v2[0] = 2;
  t.throws(() => parseAvcConfig(v2), { message: /configurationVersion/ });
  const noSps = Buffer.from(good);
  noSps[5] = 0xe0;
  t.throws(() => parseAvcConfig(noSps), codecError);
  const len3 = Buffer.from(good);
  len3[4] = 0xfe;
  t.throws(() => parseAvcConfig(len3), { message: /reserved/ });
});

t.test('AAC config gives the codec string, rate and channels', async (t) => {
  t.same(parseAacConfig(Buffer.from([0x11, 0x90])), { codec: 'mp4a.40.2', objectType: 2, sampleRate: 48000, channels: 2 });
  t.same(parseAacConfig(Buffer.from([0x12, 0x08])), { codec: 'mp4a.40.2', objectType: 2, sampleRate: 44100, channels: 1 });
  // Escaped object type (31 -> 32 + 6 bits) and an explicit 24-bit rate (index 15).
  t.match(parseAacConfig(rbsp('11111' + '000010' + '1111' + (22050).toString(2).padStart(24, '0') + '0010')), { objectType: 34, sampleRate: 22050, channels: 2 });
  t.throws(() => parseAacConfig(Buffer.from([0x11])), codecError);
  t.throws(() => parseAacConfig(rbsp('00010' + '1101' + '0010')), { message: /reserved/ });
  t.throws(() => parseAacConfig(rbsp('00000' + '0011' + '0010')), { message: /audioObjectType 0/ });
  t.throws(() => parseAacConfig(rbsp('00010' + '0011' + '1000')), { message: /channelConfiguration/ });
});
