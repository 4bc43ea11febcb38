// The player shows the cube layouts (v360 c3x2 and EAC) and flat video the way a person would see them: streams made
// from a cube of six coloured faces, the camera turned to each direction, the colour in the middle of the screen
// named. Also: query parameters override the stream's layout JSON, and the stats overlay shows the layout.
import t from 'tap';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { checkAllDirections, layoutOf, look, noErrors, seenNow, showEye, startLayoutHarness, statsLayout, type LayoutHarness } from './layout-harness';
import { makeFlatStream, makeLayoutStream } from './layout-media';

let harness: LayoutHarness;

t.before(async () => {
  harness = await startLayoutHarness(async (dir) => {
    await makeLayoutStream(dir, 'cube', 'cubemap', 'mono');
    await makeLayoutStream(dir, 'cube-tb', 'cubemap', 'top-bottom', { projection: 'cubemap', stereo: 'top-bottom' });
    await makeLayoutStream(dir, 'eac', 'eac', 'mono', { projection: 'eac', stereo: 'mono' });
    await makeFlatStream(dir, 'flat');
    // A JSON that is wrong on purpose, for the override test.
    await writeFile(join(dir, 'cube.json'), '{"layout":{"projection":"equirect","stereo":"mono"}}');
  });
});

t.teardown(() => harness?.close());

t.test('cubemap (v360 c3x2, face order rludfb) top-bottom stereo: every face where it belongs, for both eyes', async (t) => {
  const session = await harness.watch('cube-tb.m3u8');
  t.teardown(() => session.close());
  t.same(await layoutOf(session.page), { projection: 'cubemap', stereo: 'top-bottom' });
  await checkAllDirections(t, session.page, 'left');
  await showEye(session.page, 'right');
  await checkAllDirections(t, session.page, 'right');
  noErrors(t, session);
});

t.test('EAC (v360 eac) shows every face where it belongs', async (t) => {
  const session = await harness.watch('eac.m3u8');
  t.teardown(() => session.close());
  t.equal((await layoutOf(session.page)).projection, 'eac');
  await checkAllDirections(t, session.page, 'left');
  // Off the face centres, where the equi-angular warp and the face turns matter.
  t.equal(await look(session.page, 40, 0), 'front (left eye)', 'yaw 40 is still the front face');
  t.equal(await look(session.page, 50, 0), 'right (left eye)', 'yaw 50 is the right face');
  t.equal(await look(session.page, 180, 40), 'back (left eye)', 'behind, pitch 40: back face');
  t.equal(await look(session.page, 180, 50), 'up (left eye)', 'behind, pitch 50: up face');
  t.equal(await look(session.page, 90, -50), 'down (left eye)', 'right, pitch -50: down face');
  noErrors(t, session);
});

t.test('a 4:3 video without JSON is a flat screen showing the middle of the picture', async (t) => {
  const session = await harness.watch('flat.m3u8');
  t.teardown(() => session.close());
  t.same(await layoutOf(session.page), { projection: 'flat', stereo: 'mono' });
  t.equal(await seenNow(session.page), 'front (left eye)', 'the red box in the middle of the frame');
  t.equal(await session.page.locator('.sc-video-surface[data-projection="flat"]').count(), 1, 'a flat screen');
  noErrors(t, session);
});

t.test('cubemap mono; query parameters override the JSON, and the stats overlay says where the layout came from', async (t) => {
  // (The stats box is opened only after looking: on this small page it would cover the middle.)
  const wrong = await harness.watch('cube.m3u8');
  t.teardown(() => wrong.close());
  t.equal((await layoutOf(wrong.page)).projection, 'equirect', 'without parameters the JSON is obeyed');
  t.not(await look(wrong.page, 90, 0), 'right (left eye)', 'and a cubemap shown as equirect is wrong to the right');
  t.not(await look(wrong.page, -90, 0), 'left (left eye)', 'and to the left');
  t.equal(await statsLayout(wrong.page), 'equirect, mono (stream)');

  const fixed = await harness.watch('cube.m3u8', { projection: 'cubemap', yaw: '-90' });
  t.teardown(() => fixed.close());
  t.same(await layoutOf(fixed.page), { projection: 'cubemap', stereo: 'mono', view: { yaw: -90, pitch: 0 } });
  t.equal(await seenNow(fixed.page), 'left (left eye)', 'starts at the yaw from the link');
  await checkAllDirections(t, fixed.page, 'left');
  t.equal(await statsLayout(fixed.page), 'cubemap, mono, starts at yaw -90° pitch 0° (link + stream)', 'the stats overlay shows the layout');
  noErrors(t, wrong, fixed);
});
