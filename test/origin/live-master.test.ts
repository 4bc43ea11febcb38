// The live master with the ladder's variants: listed from their first segment, in order, removed
// when their encoder stops, rewritten only when something a player would see changed.
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'hls-parser';
import type { MasterPlaylist } from 'hls-parser/types';
import { LiveMaster } from '../../src/origin/live-master';
import { MediaInfo } from '../../src/origin/media-info';

function info(codec: string, width: number, height: number): MediaInfo {
  const i = new MediaInfo();
  i.video = { codec, width, height };
  i.audio = { codec: 'mp4a.40.2', sampleRate: 48_000, channels: 2 };
  return i;
}
const segs = (kbit: number) => [{ bytes: (kbit * 1000) / 8, duration: 1 }];

t.test('the source first, rungs as they come, each with its own figures; removal rewrites', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sc-master-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'x.m3u8');
  const m = new LiveMaster({ masterPath: path, variantUri: 'x_1280/index.m3u8', info: info('avc1.640020', 1280, 640) });
  m.addVariant('x_320p/index.m3u8', info('avc1.64000d', 640, 320));
  await m.updateVariant('x_320p/index.m3u8', segs(500));
  t.same(m.listedUris, ['x_320p/index.m3u8'], 'a variant is listed once it has a segment');
  await m.update(segs(3000));
  t.same(m.listedUris, ['x_1280/index.m3u8', 'x_320p/index.m3u8'], 'the source keeps its place first');
  const p = parse(readFileSync(path, 'utf8')) as MasterPlaylist;
  t.same(p.variants.map((v) => [v.uri, v.bandwidth, v.resolution]), [
    ['x_1280/index.m3u8', 3_000_000, { width: 1280, height: 640 }],
    ['x_320p/index.m3u8', 500_000, { width: 640, height: 320 }],
  ]);
  t.same(p.variants.map((v) => v.codecs), ['avc1.640020,mp4a.40.2', 'avc1.64000d,mp4a.40.2']);

  const before = statSync(path).mtimeMs;
  await new Promise((r) => setTimeout(r, 20));
  await m.updateVariant('x_320p/index.m3u8', segs(400));
  t.equal(statSync(path).mtimeMs, before, 'a lower peak does not rewrite the master');
  await m.updateVariant('x_unknown/index.m3u8', segs(400));
  t.equal(statSync(path).mtimeMs, before, 'an unknown (already removed) variant changes nothing');

  await m.removeVariant('x_320p/index.m3u8');
  t.same((parse(readFileSync(path, 'utf8')) as MasterPlaylist).variants.map((v) => v.uri), ['x_1280/index.m3u8'], 'a stopped rung leaves');
  await m.updateVariant('x_320p/index.m3u8', segs(900));
  t.same(m.listedUris, ['x_1280/index.m3u8'], 'and a late segment of it does not bring it back');
  await m.removeVariant('x_1280/index.m3u8');
  t.same(m.listedUris, ['x_1280/index.m3u8'], 'the source is never removed');
});
