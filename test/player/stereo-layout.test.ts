import t from 'tap';
import { eyeAspect, materialWindow, textureWindow } from '../../src/player/stereo-layout';

t.test('mono shows the whole frame to both eyes', async (t) => {
  t.same(textureWindow('mono', 'left'), { repeat: { x: 1, y: 1 }, offset: { x: 0, y: 0 } });
  t.same(textureWindow('mono', 'right'), textureWindow('mono', 'left'));
});

t.test('top-bottom gives the top half to the left eye and the bottom half to the right', async (t) => {
  t.same(textureWindow('top-bottom', 'left'), { repeat: { x: 1, y: 0.5 }, offset: { x: 0, y: 0.5 } });
  t.same(textureWindow('top-bottom', 'right'), { repeat: { x: 1, y: 0.5 }, offset: { x: 0, y: 0 } });
});

t.test('side-by-side gives the left half to the left eye and the right half to the right', async (t) => {
  t.same(textureWindow('side-by-side', 'left'), { repeat: { x: 0.5, y: 1 }, offset: { x: 0, y: 0 } });
  t.same(textureWindow('side-by-side', 'right'), { repeat: { x: 0.5, y: 1 }, offset: { x: 0.5, y: 0 } });
});

t.test('a flat screen takes the aspect of one eye', async (t) => {
  t.equal(eyeAspect('mono', 1920, 1080), 1920 / 1080);
  t.equal(eyeAspect('side-by-side', 3840, 1080), 1920 / 1080);
  t.equal(eyeAspect('top-bottom', 1920, 2160), 1920 / 1080);
  t.equal(eyeAspect('mono', 0, 0), 16 / 9, 'before metadata: 16:9');
});

t.test('material string for A-Frame', async (t) => {
  t.equal(materialWindow(textureWindow('top-bottom', 'left')), 'repeat: 1 0.5; offset: 0 0.5');
});
