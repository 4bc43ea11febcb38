// The player shows the spherical equirect layouts the way a person would see them: streams made from a cube of
// six coloured faces (converted by ffmpeg's v360), the camera turned to each direction, the colour in the middle of
// the screen named. Also: the layout JSON's initial view, and the auto rule when the JSON is missing or broken.
import t from 'tap';
import { copyFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { checkAllDirections, layoutOf, look, noErrors, seenNow, showEye, startLayoutHarness, type LayoutHarness } from './layout-harness';
import { makeLayoutStream } from './layout-media';

let harness: LayoutHarness;

t.before(async () => {
  harness = await startLayoutHarness(async (dir) => {
    await makeLayoutStream(dir, 'equirect', 'equirect', 'mono', { projection: 'equirect', stereo: 'mono', view: { yaw: 90, pitch: 0 } });
    await makeLayoutStream(dir, 'equirect-tb', 'equirect', 'top-bottom', { projection: 'equirect', stereo: 'top-bottom' });
    await makeLayoutStream(dir, 'half-sbs', 'equirect180', 'side-by-side', { projection: 'equirect180', stereo: 'side-by-side' });
    // The same media under other master names (the media playlist is referenced relatively): no JSON, and a broken one.
    await copyFile(join(dir, 'equirect.m3u8'), join(dir, 'no-json.m3u8'));
    await copyFile(join(dir, 'equirect.m3u8'), join(dir, 'bad-json.m3u8'));
    await writeFile(join(dir, 'bad-json.json'), '{"layout":{"projection":"equirect","stereo":"sideways"}}');
  });
});

t.teardown(() => harness?.close());

t.test('equirect mono: `?url=` alone reads the JSON, starts at its initial view, every direction shows its face', async (t) => {
  const session = await harness.watch('equirect.m3u8');
  t.teardown(() => session.close());
  t.same(await layoutOf(session.page), { projection: 'equirect', stereo: 'mono', view: { yaw: 90, pitch: 0 } });
  t.equal(await seenNow(session.page), 'right (left eye)', 'the first view is the JSON initial view (yaw 90 = right)');
  await checkAllDirections(t, session.page, 'left');
  noErrors(t, session);
});

t.test('equirect top-bottom stereo: each eye sees its own half', async (t) => {
  const left = await harness.watch('equirect-tb.m3u8');
  t.teardown(() => left.close());
  await checkAllDirections(t, left.page, 'left');
  const right = await harness.watch('equirect-tb.m3u8', { eye: 'right' });
  t.teardown(() => right.close());
  await checkAllDirections(t, right.page, 'right');
  noErrors(t, left, right);
});

t.test('equirect180 side-by-side: the front half sphere for each eye, black behind', async (t) => {
  const session = await harness.watch('half-sbs.m3u8');
  t.teardown(() => session.close());
  for (const eye of ['left', 'right'] as const) {
    await showEye(session.page, eye);
    // Straight up or down is the edge of a half sphere: look 70 degrees up or down instead.
    t.equal(await look(session.page, 0, 70), `up (${eye} eye)`, `${eye} eye, pitch 70: up face`);
    t.equal(await look(session.page, 0, -70), `down (${eye} eye)`, `${eye} eye, pitch -70: down face`);
    t.equal(await look(session.page, 0, 0), `front (${eye} eye)`, `${eye} eye, front`);
    t.equal(await look(session.page, 60, 0), `right (${eye} eye)`, `${eye} eye, yaw 60: right face`);
    t.equal(await look(session.page, -60, 0), `left (${eye} eye)`, `${eye} eye, yaw -60: left face`);
    t.equal(await look(session.page, 180, 0), 'black', `${eye} eye, behind: nothing`);
  }
  noErrors(t, session);
});

t.test('no JSON, or a broken one: the auto rule (2:1 is mono equirect) from the video size', async (t) => {
  for (const stream of ['no-json.m3u8', 'bad-json.m3u8']) {
    const session = await harness.watch(stream);
    t.teardown(() => session.close());
    t.same(await layoutOf(session.page), { projection: 'equirect', stereo: 'mono' }, stream);
    t.equal(await look(session.page, 0, 0), 'front (left eye)', `${stream}: front`);
    t.equal(await look(session.page, -90, 0), 'left (left eye)', `${stream}: left`);
    noErrors(t, session);
  }
});
