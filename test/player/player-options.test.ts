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

t.test('defaults: mono 360, muted autoplay, not live, stats hidden, automatic engine', async (t) => {
  const o = parsePlayerOptions('?url=/hls/a.m3u8', page);
  t.match(o, { stereo: 'mono', projection: '360', live: false, muted: true, autoplay: true, showStats: false, engine: 'auto', warnings: [] });
});

t.test('stereo, projection and flags are read, with common aliases', async (t) => {
  t.match(parsePlayerOptions('?url=a.m3u8&stereo=top-bottom&projection=flat&live=1&stats&muted=0', page), {
    stereo: 'top-bottom',
    projection: 'flat',
    live: true,
    showStats: true,
    muted: false,
  });
  t.equal(parsePlayerOptions('?url=a.m3u8&stereo=SBS', page).stereo, 'side-by-side');
  t.equal(parsePlayerOptions('?url=a.m3u8&stereo=ou', page).stereo, 'top-bottom');
  t.equal(parsePlayerOptions('?url=a.m3u8&engine=native', page).engine, 'native');
});

t.test('an unknown value falls back to the default with a warning naming the choices', async (t) => {
  const o = parsePlayerOptions('?url=a.m3u8&stereo=diagonal&projection=cube', page);
  t.equal(o.stereo, 'mono');
  t.equal(o.projection, '360');
  t.equal(o.warnings.length, 2);
  t.match(o.warnings[0], /diagonal.*mono, top-bottom, side-by-side/);
});
