import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../../src/shared/clock';
import type { StreamLayout } from '../../../src/shared/layout/stream-layout';
import { sphericalBoxes } from '../../../src/shared/mp4/spherical-boxes';
import { StreamPackager } from '../../../src/origin/packager/stream-packager';
import { encodeTestFlv, readFlvTags } from '../../fixtures/flv-file';

const tags = readFlvTags(encodeTestFlv({ seconds: 1, width: 256, height: 128, fps: 25, gop: 25 }));

/** Packages the clip with `layout` in its init segment; returns ffprobe's side data of the video stream. */
async function sideData(t: { teardown: (f: () => void) => void }, layout: StreamLayout): Promise<Array<Record<string, unknown>>> {
  const p = new StreamPackager({ segmentSeconds: 1, partSeconds: 0.2, windowSeconds: 10, clock: new ManualClock() });
  for (const tag of tags) {
    if (tag.type === 9 && tag.body[1] === 0) p.setVideoConfig({ config: { codec: 'avc', record: tag.body.subarray(5) }, width: 256, height: 128, extraBoxes: sphericalBoxes(layout) });
    else p.write(tag.type, tag.dts, tag.body);
  }
  p.end();
  const init = await p.rendition.file('init-0.mp4', 0);
  const segment = await p.rendition.file('0.m4s', 0);
  const dir = mkdtempSync(join(tmpdir(), 'sc-sv3d-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'v.mp4');
  writeFileSync(file, Buffer.concat([init!, segment!]));
  const r = spawnSync('ffprobe', ['-v', 'error', '-select_streams', 'v', '-show_streams', '-of', 'json', file], { encoding: 'utf8' });
  const stream = (JSON.parse(r.stdout) as { streams: Array<{ side_data_list?: Array<Record<string, unknown>> }> }).streams[0];
  return stream?.side_data_list ?? [];
}

t.test('ffprobe reads projection, pose and stereo mode from the init segment', async (t) => {
  const equirect = await sideData(t, { projection: 'equirect', stereo: 'top-bottom', view: { yaw: 90, pitch: -10 } });
  t.match(equirect, [{ side_data_type: 'Stereo 3D', type: 'top and bottom' }, { side_data_type: 'Spherical Mapping', projection: 'equirectangular', yaw: 90, pitch: -10, roll: 0 }]);
  const mono = await sideData(t, { projection: 'equirect', stereo: 'mono' });
  t.match(mono, [{ side_data_type: 'Stereo 3D', type: '2D' }, { side_data_type: 'Spherical Mapping', projection: 'equirectangular' }]);
  const half = await sideData(t, { projection: 'equirect180', stereo: 'side-by-side' });
  t.match(half, [{ type: 'side by side' }, { projection: 'tiled equirectangular', bound_top: 0, bound_bottom: 0 }]);
  // ffprobe gives the cropped edges in pixels of the whole sphere's picture: as wide again as the frame.
  const edges = Number(half[1]!.bound_left) + Number(half[1]!.bound_right);
  t.equal(edges, 256, 'a 180 degree frame is half of the full 360 degree width');
  const cube = await sideData(t, { projection: 'cubemap', stereo: 'mono' });
  t.match(cube, [{}, { projection: 'cubemap' }]);
  t.same(await sideData(t, { projection: 'flat', stereo: 'mono' }), [], 'flat mono video carries no spherical boxes');
});
