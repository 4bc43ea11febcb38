// HLS_VIDEO_LAYOUT: REQ-VIDEO-LAYOUT on the live master's variant (and version 12) only when it is on, read back by
// hls-parser from the real origin.
import t from 'tap';
import { parse } from 'hls-parser';
import type { MasterPlaylist } from 'hls-parser/types';
import { parseAttributes } from '../../src/shared/hls-playlist';
import { publish, startOrigin, waitFor } from './origin-harness';

const streamInf = (text: string): Record<string, string> =>
  parseAttributes(text.split('\n').find((l) => l.startsWith('#EXT-X-STREAM-INF:'))!.slice(18));

async function master(url: string): Promise<string> {
  return waitFor(url, async () => {
    const r = await fetch(url);
    return r.ok ? r.text() : undefined;
  }, 40_000);
}

t.test('HLS_VIDEO_LAYOUT=on writes the layout of each stream; a flat mono stream gets none', async (t) => {
  const origin = await startOrigin(t, { RECORD: 'off', HLS_FRAGMENT: '1', HLS_VIDEO_LAYOUT: 'on' });
  publish(t, origin.rtmp('vr?projection=equirect&stereo=top-bottom'), { size: '320x320' });
  publish(t, origin.rtmp('flat'), { size: '320x180' });
  const vr = await master(origin.url('/hls/vr.m3u8'));
  t.match(vr, /^#EXTM3U\n#EXT-X-VERSION:12\n/);
  t.equal(streamInf(vr)['REQ-VIDEO-LAYOUT'], 'CH-STEREO/PROJ-EQUI');
  const parsed = parse(vr) as MasterPlaylist;
  t.equal(parsed.version, 12, 'hls-parser reads it');
  t.equal(parsed.variants[0].uri, 'vr_1280/index.m3u8');
  t.same(parsed.variants[0].resolution, { width: 320, height: 320 });

  const flat = await master(origin.url('/hls/flat.m3u8'));
  t.notMatch(flat, /REQ-VIDEO-LAYOUT/, 'mono rectilinear is the default and is not signalled');
  t.equal((parse(flat) as MasterPlaylist).version, 3);
});

t.test('HLS_VIDEO_LAYOUT is off by default', async (t) => {
  const origin = await startOrigin(t, { RECORD: 'off', HLS_FRAGMENT: '1' });
  publish(t, origin.rtmp('sphere'), { size: '640x320' });
  const text = await master(origin.url('/hls/sphere.m3u8'));
  t.notMatch(text, /REQ-/);
  t.equal((parse(text) as MasterPlaylist).version, 3);
  const layout = (await (await fetch(origin.url('/hls/sphere.json'))).json()) as unknown;
  t.same(layout, { layout: { projection: 'equirect', stereo: 'mono' } }, 'the stream is 360, yet its master stays plain');
});
