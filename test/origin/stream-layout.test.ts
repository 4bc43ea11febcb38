// A stream's layout from ingest on, through the real origin: the publish URL, STREAM_LAYOUTS and the auto rule,
// written as the JSON beside the master, into the live fMP4 init segment (read back by ffprobe) and /stat.
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { RtmpTestClient } from '../fixtures/rtmp-client';
import { ffprobeJson, publish, startOrigin, waitFor } from './origin-harness';

t.test('layouts from the publish URL, STREAM_LAYOUTS and the auto rule reach the JSON, the init segment and /stat', async (t) => {
  const origin = await startOrigin(t, { RECORD: 'off', HLS_FRAGMENT: '1', STREAM_LAYOUTS: 'cube*=cubemap' });
  publish(t, origin.rtmp('sphere'), { size: '640x320' });
  publish(t, origin.rtmp('half?projection=180&stereo=sbs&yaw=30'), { size: '320x180' });
  publish(t, origin.rtmp('cube1'), { size: '384x256' });
  publish(t, origin.rtmp('plain'), { size: '320x180' });
  const json = async (name: string) =>
    waitFor(`${name}.json`, async () => {
      const r = await fetch(origin.url(`/hls/${name}.json`));
      return r.ok ? { body: await r.json(), type: r.headers.get('content-type') } : undefined;
    }, 40_000);
  t.same((await json('sphere')).body, { layout: { projection: 'equirect', stereo: 'mono' } }, 'a 2:1 picture is mono equirect');
  t.same((await json('half')).body, { layout: { projection: 'equirect180', stereo: 'side-by-side', yaw: 30, pitch: 0 } }, 'the publish URL');
  t.same((await json('cube1')).body, { layout: { projection: 'cubemap', stereo: 'mono' } }, 'STREAM_LAYOUTS');
  t.same((await json('plain')).body, { layout: { projection: 'flat', stereo: 'mono' } }, 'anything else is flat');
  t.match((await json('plain')).type, /^application\/json/);

  const dir = mkdtempSync(join(tmpdir(), 'sc-layout-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const sideData = async (name: string) => {
    const init = await waitFor(`${name} init segment`, async () => {
      const r = await fetch(origin.url(`/hls/${name}_1280/init-0.mp4`));
      return r.ok ? Buffer.from(await r.arrayBuffer()) : undefined;
    }, 40_000);
    const seg = Buffer.from(await (await fetch(origin.url(`/hls/${name}_1280/0.m4s`))).arrayBuffer());
    writeFileSync(join(dir, `${name}.mp4`), Buffer.concat([init, seg]));
    return (ffprobeJson(join(dir, `${name}.mp4`)).streams.find((s: { codec_type: string }) => s.codec_type === 'video')?.side_data_list ?? []) as Array<Record<string, unknown>>;
  };
  t.match(await sideData('sphere'), [{ side_data_type: 'Stereo 3D', type: '2D' }, { side_data_type: 'Spherical Mapping', projection: 'equirectangular' }]);
  t.match(await sideData('half'), [{ type: 'side by side' }, { projection: 'tiled equirectangular', yaw: 30 }]);
  t.match(await sideData('cube1'), [{}, { projection: 'cubemap' }]);
  t.same(await sideData('plain'), [], 'flat mono video carries no spherical boxes');

  const stat = (await (await fetch(origin.url('/stat?format=json'))).json()) as { streams: Array<{ name: string; layout?: unknown }> };
  t.match(stat.streams.find((s) => s.name === 'half')?.layout, { projection: 'equirect180', stereo: 'side-by-side', view: { yaw: 30, pitch: 0 } });
});

t.test('a publish asking for a layout that does not exist is refused with the reason', async (t) => {
  const origin = await startOrigin(t, { RECORD: 'off' });
  const c = await RtmpTestClient.open(origin.rtmpPort);
  const { status } = await c.startPublish('cam?projection=banana&stereo=3d');
  t.match(status, { level: 'error', code: 'NetStream.Publish.Rejected', description: /projection.*banana|banana/ });
  t.match(status, { description: /stereo/ }, 'every bad value is named');
  c.close();
});

t.test('a bad STREAM_LAYOUTS stops the start with one line naming it', async (t) => {
  const media = mkdtempSync(join(tmpdir(), 'sc-layout-bad-'));
  t.teardown(() => rmSync(media, { recursive: true, force: true }));
  const r = spawnSync(process.execPath, [resolve('dist/origin.js')], {
    env: { ...process.env, HOST: '127.0.0.1', RTMP_PORT: '0', HTTP_PORT: '0', MEDIA_DIR: media, STREAM_LAYOUTS: 'cam=banana' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  t.equal(r.status, 1);
  t.match(r.stdout + r.stderr, /STREAM_LAYOUTS entry "cam=banana"/);
});
