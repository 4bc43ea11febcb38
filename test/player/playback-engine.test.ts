import t from 'tap';
import { chooseEngine } from '../../src/player/playback-engine';

t.test('hls.js wherever MSE exists, even when the browser also plays HLS natively', async (t) => {
  t.equal(chooseEngine({ mse: true, nativeHls: true }, 'auto'), 'hls.js');
  t.equal(chooseEngine({ mse: true, nativeHls: false }, 'auto'), 'hls.js');
});

t.test('native HLS where there is no MSE (iPhone)', async (t) => {
  t.equal(chooseEngine({ mse: false, nativeHls: true }, 'auto'), 'native');
  t.equal(chooseEngine({ mse: false, nativeHls: true }, 'hls.js'), 'native', 'hls.js cannot run without MSE');
});

t.test('an explicit preference is honoured when possible', async (t) => {
  t.equal(chooseEngine({ mse: true, nativeHls: true }, 'native'), 'native');
  t.equal(chooseEngine({ mse: true, nativeHls: false }, 'native'), 'hls.js', 'no native HLS: hls.js');
});

t.test('neither: unsupported', async (t) => {
  t.equal(chooseEngine({ mse: false, nativeHls: false }, 'auto'), 'none');
});
