import t from 'tap';
import { parsePlayerOptions, resolveStreamUrl } from '../../src/player/player-options';

const page = 'https://viewer.example/some/prefix/player.html?x=1';

t.test('relative and absolute stream URLs resolve against the page', async (t) => {
  t.equal(resolveStreamUrl('/hls/test.m3u8', page).url, 'https://viewer.example/hls/test.m3u8');
  t.equal(resolveStreamUrl('vod/a/MANIFEST.M3U8', page).url, 'https://viewer.example/some/prefix/vod/a/MANIFEST.M3U8');
  t.equal(resolveStreamUrl('http://10.0.0.1/hls/test.m3u8', page).url, 'http://10.0.0.1/hls/test.m3u8');
});

t.test('a missing or non-http stream URL is an error, never loaded', async (t) => {
  t.match(resolveStreamUrl(null, page).error, /\?url=/);
  t.match(resolveStreamUrl('  ', page).error, /\?url=/);
  t.match(resolveStreamUrl('javascript:alert(1)', page).error, /javascript:/);
  t.equal(resolveStreamUrl('javascript:alert(1)', page).url, undefined);
  t.match(resolveStreamUrl('data:text/plain,x', page).error, /data:/);
});

t.test('defaults: layout from the stream, muted autoplay, not live, stats hidden, automatic engine, left eye', async (t) => {
  const o = parsePlayerOptions('?url=/hls/a.m3u8', page);
  t.match(o, { layout: {}, screenEye: 'left', live: false, muted: true, autoplay: true, showStats: false, engine: 'auto', warnings: [] });
});

t.test('layout, eye and flags are read, with common aliases', async (t) => {
  t.match(parsePlayerOptions('?url=a.m3u8&stereo=top-bottom&projection=flat&live=1&stats&muted=0&eye=right', page), {
    layout: { stereo: 'top-bottom', projection: 'flat' },
    screenEye: 'right',
    live: true,
    showStats: true,
    muted: false,
  });
  t.same(parsePlayerOptions('?url=a.m3u8&stereo=SBS&projection=eac&yaw=-90&pitch=10', page).layout, {
    projection: 'eac',
    stereo: 'side-by-side',
    yaw: -90,
    pitch: 10,
  });
  t.equal(parsePlayerOptions('?url=a.m3u8&stereo=ou', page).layout.stereo, 'top-bottom');
  t.equal(parsePlayerOptions('?url=a.m3u8&projection=360', page).layout.projection, 'equirect', 'the old projection=360 still works');
  t.equal(parsePlayerOptions('?url=a.m3u8&engine=native', page).engine, 'native');
});

t.test('an unknown value is left out with a warning naming the choices, so the stream\'s layout applies', async (t) => {
  const o = parsePlayerOptions('?url=a.m3u8&stereo=diagonal&projection=cube&yaw=400&eye=third', page);
  t.same(o.layout, {});
  t.equal(o.screenEye, 'left');
  t.equal(o.warnings.length, 4);
  t.match(o.warnings[0], /projection "cube".*flat, equirect, equirect180, cubemap, eac, auto.*stream's own layout/);
  t.match(o.warnings[1], /stereo "diagonal".*mono, top-bottom, side-by-side/);
  t.match(o.warnings[2], /Yaw "400"/);
  t.match(o.warnings[3], /eye "third"/);
});
