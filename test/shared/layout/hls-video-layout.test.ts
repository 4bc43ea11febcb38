// REQ-VIDEO-LAYOUT values per rfc8216bis 4.4.6.2, and the master playlist that carries them (version 12).
import t from 'tap';
import { parse } from 'hls-parser';
import type { MasterPlaylist } from 'hls-parser/types';
import { reqVideoLayout } from '../../../src/shared/layout/hls-video-layout';
import { parseAttributes, parseMasterPlaylist, writeMasterPlaylist } from '../../../src/shared/hls-playlist';

t.test('each layout maps to the specifiers the draft defines', async (t) => {
  t.equal(reqVideoLayout({ projection: 'equirect', stereo: 'mono' }), 'CH-MONO/PROJ-EQUI');
  t.equal(reqVideoLayout({ projection: 'equirect', stereo: 'top-bottom' }), 'CH-STEREO/PROJ-EQUI');
  t.equal(reqVideoLayout({ projection: 'equirect180', stereo: 'side-by-side', view: { yaw: 30, pitch: 0 } }), 'CH-STEREO/PROJ-HEQU');
  t.equal(reqVideoLayout({ projection: 'equirect180', stereo: 'mono' }), 'CH-MONO/PROJ-HEQU');
  t.equal(reqVideoLayout({ projection: 'flat', stereo: 'side-by-side' }), 'CH-STEREO', 'PROJ-RECT is the default and left out');
  t.equal(reqVideoLayout({ projection: 'flat', stereo: 'mono' }), undefined, 'mono rectilinear SHOULD NOT be signalled');
  // No specifier exists for these; an invented one would make every client skip the variant.
  t.equal(reqVideoLayout({ projection: 'cubemap', stereo: 'mono' }), undefined);
  t.equal(reqVideoLayout({ projection: 'eac', stereo: 'top-bottom' }), 'CH-STEREO');
  for (const projection of ['flat', 'equirect', 'equirect180', 'cubemap', 'eac'] as const) {
    for (const stereo of ['mono', 'top-bottom', 'side-by-side'] as const) {
      const v = reqVideoLayout({ projection, stereo });
      if (v === undefined) continue;
      t.match(v, /^(CH-STEREO|CH-MONO)(\/PROJ-(EQUI|HEQU))?$/, `${projection} ${stereo}: only defined enumerated-strings`);
      t.notMatch(v, /,/, 'one View Presentation Entry');
    }
  }
});

t.test('a variant with REQ-VIDEO-LAYOUT makes the master version 12, which hls-parser reads', async (t) => {
  const variant = { uri: 'cam_1280/index.m3u8', bandwidth: 2_000_000, codecs: ['avc1.64001f'], resolution: { width: 1920, height: 960 } };
  const text = writeMasterPlaylist({ independentSegments: true, variants: [{ ...variant, videoLayout: 'CH-STEREO/PROJ-EQUI' }] });
  t.match(text, /^#EXTM3U\n#EXT-X-VERSION:12\n/);
  const line = text.split('\n').find((l) => l.startsWith('#EXT-X-STREAM-INF:'))!;
  t.equal(parseAttributes(line.slice(18))['REQ-VIDEO-LAYOUT'], 'CH-STEREO/PROJ-EQUI', 'a quoted-string');
  const parsed = parse(text) as MasterPlaylist;
  t.equal(parsed.isMasterPlaylist, true);
  t.equal(parsed.version, 12);
  t.equal(parsed.variants.length, 1);
  t.equal(parsed.variants[0].uri, 'cam_1280/index.m3u8');
  t.equal(parseMasterPlaylist(text).variants[0].videoLayout, 'CH-STEREO/PROJ-EQUI');

  const plain = writeMasterPlaylist({ independentSegments: true, variants: [variant] });
  t.match(plain, /^#EXTM3U\n#EXT-X-VERSION:3\n/, 'without it the version stays');
  t.notMatch(plain, /REQ-/);
  t.equal(writeMasterPlaylist({ version: 13, variants: [{ ...variant, videoLayout: 'CH-MONO/PROJ-HEQU' }] }).split('\n')[1], '#EXT-X-VERSION:13', 'a higher version is kept');
});
