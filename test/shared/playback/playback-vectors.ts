// Known-answer vectors for playback tokens, shared by the TypeScript implementation's tests and the
// CloudFront Function's (test/deploy/playback-token-function.test.ts): both must give these exact
// answers, so a token signed by `edge sign-url` opens the same paths at CloudFront, the edge and the origin.
import type { ErrorCode } from '../../../src/shared/errors';

export const SECRET = 'vector-secret-0123456789abcdef012345';
export const PREVIOUS = 'vector-previous-fedcba9876543210fedc';
/** Unix seconds at which the cases are checked. */
export const NOW = 1_800_000_000;
/** The default PLAYBACK_TOKEN_PATHS, which the CloudFront Function has built in. */
export const PATHS = ['/hls', '/vod', '!/vod/index.json', '/vod-live', '!/vod-live/index.json'];

/** Tokens signed with SECRET unless named otherwise; literal, so a change of format shows. */
export const TOKENS = {
  /** /hls/test until NOW + 3600. */
  test: '1.1800003600.L2hscy90ZXN0.bK2fl4gCqhBoQDNV3DqL2SQ29vGIKv2FLBB2AZ0fVnQ',
  /** /hls/test, expired one second before NOW. */
  expired: '1.1799999999.L2hscy90ZXN0.0YAnZ6WLyEJ7QRvZEJuoQrFHe6ljTNy_4Umk1whZB7c',
  /** /hls/test until NOW + 3600, signed with PREVIOUS. */
  previous: '1.1800003600.L2hscy90ZXN0.lhTXhu52zIeJjS3shzjqYmQVR2ToxKvyb-ybnbKYfBY',
  /** /vod/talk-1700000000 until NOW + 60. */
  vod: '1.1800000060.L3ZvZC90YWxrLTE3MDAwMDAwMDA.-7AqRE5rfXzz2JrkI7jMj8PfCv6u1AByo3jkZW_1uBg',
  /** /hls/test signed with a secret neither side knows. */
  foreign: '1.1800003600.L2hscy90ZXN0.2QL-HMWeIf1EJ3f_V4nVaPTch3gheMeAFAUaiVOastI',
  /** /hls (every live stream) until NOW + 3600. */
  allLive: '1.1800003600.L2hscw.MfaG-8s2-vY_jpGHEbkSrRf-mdSASfQOymk2X1Yiaa8',
};

const T = TOKENS;
/** The test token with one signature character changed. */
const flipped = T.test.slice(0, -1) + (T.test.endsWith('Q') ? 'R' : 'Q');

export interface GateVector {
  readonly name: string;
  /** The request target as a viewer sends it. */
  readonly target: string;
  /** The target passed on (token stripped), or the refusal. */
  readonly expect: { target: string } | { code: ErrorCode };
}

export const GATE_VECTORS: readonly GateVector[] = [
  { name: 'path form, master', target: `/t/${T.test}/hls/test.m3u8`, expect: { target: '/hls/test.m3u8' } },
  { name: 'path form, layout JSON beside the master', target: `/t/${T.test}/hls/test.json`, expect: { target: '/hls/test.json' } },
  { name: 'path form, variant playlist (relative URI from the master)', target: `/t/${T.test}/hls/test_1280/index.m3u8`, expect: { target: '/hls/test_1280/index.m3u8' } },
  { name: 'path form, part with LL-HLS query kept', target: `/t/${T.test}/hls/test_1280/12.3.m4s?_HLS_msn=12&_HLS_part=3`, expect: { target: '/hls/test_1280/12.3.m4s?_HLS_msn=12&_HLS_part=3' } },
  { name: 'path form, a folder below the prefix', target: `/t/${T.test}/hls/test/x.m4s`, expect: { target: '/hls/test/x.m4s' } },
  { name: 'query form', target: `/hls/test_1280/5.m4s?token=${T.test}`, expect: { target: '/hls/test_1280/5.m4s' } },
  { name: 'query form among other parameters', target: `/hls/test_1280/index.m3u8?_HLS_msn=5&token=${T.test}&_HLS_skip=YES`, expect: { target: '/hls/test_1280/index.m3u8?_HLS_msn=5&_HLS_skip=YES' } },
  { name: 'signed with the previous secret', target: `/t/${T.previous}/hls/test.m3u8`, expect: { target: '/hls/test.m3u8' } },
  { name: 'VOD asset folder', target: `/t/${T.vod}/vod/talk-1700000000/MANIFEST.M3U8`, expect: { target: '/vod/talk-1700000000/MANIFEST.M3U8' } },
  { name: 'a token for /hls opens every stream', target: `/t/${T.allLive}/hls/other_1280/1.m4s`, expect: { target: '/hls/other_1280/1.m4s' } },
  { name: 'percent-encoded letters are the same path', target: `/t/${T.test}/hls/t%65st.m3u8`, expect: { target: '/hls/t%65st.m3u8' } },
  { name: 'open path without a token', target: '/player.html?url=/hls/test.m3u8', expect: { target: '/player.html?url=/hls/test.m3u8' } },
  { name: 'open listing below a protected path', target: '/vod/index.json', expect: { target: '/vod/index.json' } },
  { name: 'open instant-VOD listing', target: '/vod-live/index.json', expect: { target: '/vod-live/index.json' } },
  { name: 'an instant VOD needs a token', target: '/vod-live/test/1700000000000/index.m3u8', expect: { code: 'SC_ERR_PLAYBACK_TOKEN_MISSING' } },
  { name: 'expired', target: `/t/${T.expired}/hls/test.m3u8`, expect: { code: 'SC_ERR_PLAYBACK_TOKEN_EXPIRED' } },
  { name: 'wrong prefix: another stream', target: `/t/${T.test}/hls/other.m3u8`, expect: { code: 'SC_ERR_PLAYBACK_TOKEN_PATH' } },
  { name: 'prefix boundary: /hls/test does not open /hls/test2', target: `/t/${T.test}/hls/test2.m3u8`, expect: { code: 'SC_ERR_PLAYBACK_TOKEN_PATH' } },
  { name: 'prefix boundary: nor /hls/test2/ folders', target: `/t/${T.test}/hls/test2/index.m3u8`, expect: { code: 'SC_ERR_PLAYBACK_TOKEN_PATH' } },
  { name: 'prefix boundary: nor a stream named test_b', target: `/t/${T.test}/hls/test_b.m3u8`, expect: { code: 'SC_ERR_PLAYBACK_TOKEN_PATH' } },
  { name: 'prefix boundary: nor test_b\'s variant folder', target: `/t/${T.test}/hls/test_b_1280/index.m3u8`, expect: { code: 'SC_ERR_PLAYBACK_TOKEN_PATH' } },
  { name: 'prefix boundary: percent-encoded 2', target: `/t/${T.test}/hls/test%32.m3u8`, expect: { code: 'SC_ERR_PLAYBACK_TOKEN_PATH' } },
  { name: 'prefix boundary: a file in the prefix\'s parent named like a folder', target: `/t/${T.test}/hls/test.d/x.m4s`, expect: { code: 'SC_ERR_PLAYBACK_TOKEN_PATH' } },
  { name: 'dot segments do not climb out of the prefix', target: `/t/${T.test}/hls/test/../test2.m3u8`, expect: { code: 'SC_ERR_PLAYBACK_TOKEN_INVALID' } },
  { name: 'encoded dot segments neither', target: `/t/${T.test}/hls/test/%2e%2e/test2.m3u8`, expect: { code: 'SC_ERR_PLAYBACK_TOKEN_INVALID' } },
  { name: 'tampered signature', target: `/t/${flipped}/hls/test.m3u8`, expect: { code: 'SC_ERR_PLAYBACK_TOKEN_INVALID' } },
  { name: 'tampered expiry', target: `/t/${T.expired.replace('1799999999', '1899999999')}/hls/test.m3u8`, expect: { code: 'SC_ERR_PLAYBACK_TOKEN_INVALID' } },
  { name: 'tampered prefix (/hls/test -> /hls)', target: `/t/${T.test.replace('L2hscy90ZXN0', 'L2hscw')}/hls/other.m3u8`, expect: { code: 'SC_ERR_PLAYBACK_TOKEN_INVALID' } },
  { name: 'non-canonical base64 of the prefix', target: `/t/${T.allLive.replace('L2hscw', 'L2hscx')}/hls/test.m3u8`, expect: { code: 'SC_ERR_PLAYBACK_TOKEN_INVALID' } },
  { name: 'signed with an unknown secret', target: `/t/${T.foreign}/hls/test.m3u8`, expect: { code: 'SC_ERR_PLAYBACK_TOKEN_INVALID' } },
  { name: 'expiry with a leading zero (another spelling of a signed token)', target: `/t/${T.test.replace('1.1800003600.', '1.01800003600.')}/hls/test.m3u8`, expect: { code: 'SC_ERR_PLAYBACK_TOKEN_INVALID' } },
  { name: 'unknown version', target: `/t/2${T.test.slice(1)}/hls/test.m3u8`, expect: { code: 'SC_ERR_PLAYBACK_TOKEN_INVALID' } },
  { name: 'garbage token', target: '/t/hello/hls/test.m3u8', expect: { code: 'SC_ERR_PLAYBACK_TOKEN_INVALID' } },
  { name: 'overlong token', target: `/t/1.1.${'A'.repeat(2000)}.x/hls/test.m3u8`, expect: { code: 'SC_ERR_PLAYBACK_TOKEN_INVALID' } },
  { name: 'nothing after the token', target: `/t/${T.test}`, expect: { code: 'SC_ERR_PLAYBACK_TOKEN_INVALID' } },
  { name: 'two tokens', target: `/t/${T.test}/hls/test.m3u8?token=${T.test}`, expect: { code: 'SC_ERR_PLAYBACK_TOKEN_INVALID' } },
  { name: 'a token on an open path must still be good', target: `/t/${T.test}/player.html`, expect: { code: 'SC_ERR_PLAYBACK_TOKEN_PATH' } },
  { name: 'missing token on a live path', target: '/hls/test.m3u8', expect: { code: 'SC_ERR_PLAYBACK_TOKEN_MISSING' } },
  { name: 'missing token on a segment', target: '/hls/test_1280/3.m4s?_HLS_msn=1', expect: { code: 'SC_ERR_PLAYBACK_TOKEN_MISSING' } },
  { name: 'missing token on VOD', target: '/vod/talk-1700000000/MANIFEST.M3U8', expect: { code: 'SC_ERR_PLAYBACK_TOKEN_MISSING' } },
  { name: 'missing token: case of the query name matters', target: `/hls/test.m3u8?TOKEN=${T.test}`, expect: { code: 'SC_ERR_PLAYBACK_TOKEN_MISSING' } },
];
