import t, { type Test } from 'tap';
import { isScError } from '../../../src/shared/errors';
import {
  LAYOUT_JSON_MAX_BYTES,
  autoLayout,
  describeLayout,
  layoutJson,
  layoutJsonUrl,
  parseLayoutJson,
  parseLayoutQuery,
  readLayoutQuery,
  resolveLayout,
} from '../../../src/shared/layout/stream-layout';

function refusal(t: Test, fn: () => unknown, message: RegExp, what: string): void {
  try {
    fn();
    t.fail(`${what}: accepted`);
  } catch (err) {
    t.ok(isScError(err, 'SC_ERR_LAYOUT'), `${what}: SC_ERR_LAYOUT`);
    t.match((err as Error).message, message, what);
  }
}

t.test('query parameters: canonical names, aliases, angles', async (t) => {
  t.same(parseLayoutQuery('projection=equirect&stereo=top-bottom&yaw=90&pitch=-10.5'), {
    projection: 'equirect',
    stereo: 'top-bottom',
    yaw: 90,
    pitch: -10.5,
  });
  t.same(parseLayoutQuery('projection=EAC&stereo=SBS'), { projection: 'eac', stereo: 'side-by-side' });
  t.same(parseLayoutQuery('projection=360&stereo=ou'), { projection: 'equirect', stereo: 'top-bottom' });
  t.same(parseLayoutQuery('projection=180'), { projection: 'equirect180' });
  t.same(parseLayoutQuery('projection=c3x2'), { projection: 'cubemap' });
  t.same(parseLayoutQuery('projection=auto'), { projection: 'auto' });
  t.same(parseLayoutQuery(new URLSearchParams('projection=&stereo=')), {}, 'empty values are absent');
  t.same(parseLayoutQuery('app=live&name=x'), {}, 'unrelated parameters are ignored');
});

t.test('bad query values are refused, each named', async (t) => {
  refusal(t, () => parseLayoutQuery('projection=cube'), /unknown projection "cube".*flat, equirect, equirect180, cubemap, eac/, 'projection');
  refusal(t, () => parseLayoutQuery('stereo=diagonal'), /unknown stereo "diagonal".*mono, top-bottom, side-by-side/, 'stereo');
  refusal(t, () => parseLayoutQuery('yaw=181'), /yaw "181".*-180 to 180/, 'yaw out of range');
  refusal(t, () => parseLayoutQuery('pitch=91'), /pitch "91".*-90 to 90/, 'pitch out of range');
  refusal(t, () => parseLayoutQuery('yaw=0x10'), /yaw/, 'hex is not an angle');
  refusal(t, () => parseLayoutQuery('yaw=NaN'), /yaw/, 'NaN');
  refusal(t, () => parseLayoutQuery('yaw=Infinity'), /yaw/, 'Infinity');
  refusal(t, () => parseLayoutQuery('projection=__proto__'), /unknown projection/, 'prototype keys are not aliases');
  refusal(t, () => parseLayoutQuery('projection=x&stereo=y'), /projection.*; .*stereo/, 'all problems in one refusal');
  const { layout, problems } = readLayoutQuery('projection=x&stereo=tb&yaw=45');
  t.same(layout, { stereo: 'top-bottom', yaw: 45 }, 'readLayoutQuery keeps the good fields');
  t.equal(problems.length, 1);
});

t.test('the auto rule: 2:1 is mono equirect, anything else flat', async (t) => {
  t.same(autoLayout(3840, 1920), { projection: 'equirect', stereo: 'mono' });
  t.same(autoLayout(4096, 2048), { projection: 'equirect', stereo: 'mono' });
  t.same(autoLayout(1920, 1080), { projection: 'flat', stereo: 'mono' });
  t.same(autoLayout(1920, 1920), { projection: 'flat', stereo: 'mono' });
  t.same(autoLayout(0, 0), { projection: 'flat', stereo: 'mono' }, 'unknown size: flat');
});

t.test('resolveLayout: first source that has a field wins, auto fills the rest', async (t) => {
  const json = { projection: 'cubemap' as const, stereo: 'top-bottom' as const, view: { yaw: 30, pitch: 5 } };
  t.same(resolveLayout([{}, json], { width: 1920, height: 1080 }), json, 'the JSON alone');
  t.same(resolveLayout([{ stereo: 'mono' }, json], { width: 1920, height: 1080 }), { ...json, stereo: 'mono' }, 'query stereo overrides');
  t.same(resolveLayout([{ yaw: -90 }, json], { width: 0, height: 0 }), { ...json, view: { yaw: -90, pitch: 5 } }, 'query yaw alone');
  t.same(resolveLayout([{ projection: 'auto' }, json], { width: 2000, height: 1000 }).projection, 'equirect', 'auto beats the JSON');
  t.same(resolveLayout([{}, undefined], { width: 2000, height: 1000 }), { projection: 'equirect', stereo: 'mono' }, 'no JSON: auto');
  t.same(resolveLayout([{}, undefined], { width: 1280, height: 720 }), { projection: 'flat', stereo: 'mono' });
});

t.test('layout JSON URL beside the master playlist', async (t) => {
  t.equal(layoutJsonUrl('/hls/test.m3u8'), '/hls/test.json');
  t.equal(layoutJsonUrl('/vod/a/MANIFEST.M3U8'), '/vod/a/MANIFEST.json');
  t.equal(layoutJsonUrl('https://cdn.example/vod/a/master.m3u8?token=abc'), 'https://cdn.example/vod/a/master.json?token=abc');
  t.equal(layoutJsonUrl('http://h/x.m3u8#t=3'), 'http://h/x.json#t=3');
  t.equal(layoutJsonUrl('live.m3u8'), 'live.json');
  refusal(t, () => layoutJsonUrl('/hls/test.mpd'), /not the URL of a \.m3u8/, 'not a playlist');
  refusal(t, () => layoutJsonUrl('/hls/.m3u8'), /\.m3u8/, 'no name before .m3u8');
  refusal(t, () => layoutJsonUrl('/hls/test.m3u8/x'), /\.m3u8/, '.m3u8 not at the end of the path');
  refusal(t, () => layoutJsonUrl('/a?x=.m3u8'), /\.m3u8/, '.m3u8 only in the query');
});

t.test('layout JSON: round trip and the contract form', async (t) => {
  const text = '{"layout":{"projection":"equirect","stereo":"top-bottom","yaw":0,"pitch":0}}';
  t.same(parseLayoutJson(text), { projection: 'equirect', stereo: 'top-bottom', view: { yaw: 0, pitch: 0 } });
  t.same(parseLayoutJson('{"layout":{"projection":"eac","stereo":"mono"}}'), { projection: 'eac', stereo: 'mono' }, 'view optional');
  t.same(parseLayoutJson('{"layout":{"projection":"flat","stereo":"mono","yaw":-45}}').view, { yaw: -45, pitch: 0 });
  t.same(parseLayoutJson('{"layout":{"projection":"cubemap","stereo":"mono"},"poster":"p.jpg"}').projection, 'cubemap', 'other top-level keys are left alone');
  t.equal(layoutJson({ projection: 'equirect', stereo: 'top-bottom', view: { yaw: 0, pitch: 0 } }), text);
  for (const layout of [
    { projection: 'equirect180' as const, stereo: 'side-by-side' as const },
    { projection: 'flat' as const, stereo: 'mono' as const, view: { yaw: 12.5, pitch: -3 } },
  ]) {
    t.same(parseLayoutJson(layoutJson(layout)), layout, `round trip ${describeLayout(layout)}`);
  }
});

t.test('layout JSON: strict refusals', async (t) => {
  const cases: Array<[string, RegExp]> = [
    ['', /not JSON/],
    ['[]', /expected/],
    ['{"projection":"equirect","stereo":"mono"}', /expected/],
    ['{"layout":"equirect"}', /expected/],
    ['{"layout":{"projection":"360","stereo":"mono"}}', /projection must be/],
    ['{"layout":{"projection":"equirect"}}', /stereo must be/],
    ['{"layout":{"projection":"equirect","stereo":"tb"}}', /stereo must be/],
    ['{"layout":{"projection":"equirect","stereo":"mono","yaw":"90"}}', /yaw must be/],
    ['{"layout":{"projection":"equirect","stereo":"mono","pitch":-100}}', /pitch must be/],
    ['{"layout":{"projection":"equirect","stereo":"mono","roll":0}}', /unknown layout field "roll"/],
    [`{"layout":{"projection":"equirect","stereo":"mono"},"pad":"${'x'.repeat(LAYOUT_JSON_MAX_BYTES)}"}`, /larger than 4096/],
    [`{"layout":{"projection":"equirect","stereo":"mono"},"pad":"${'é'.repeat(LAYOUT_JSON_MAX_BYTES / 2)}"}`, /larger than/],
  ];
  for (const [text, message] of cases) refusal(t, () => parseLayoutJson(text), message, text.slice(0, 60));
});

t.test('layout JSON fuzz: random mutations never throw anything but SC_ERR_LAYOUT (seeded)', async (t) => {
  let seed = 0x5eed15;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed % n;
  };
  const base = '{"layout":{"projection":"equirect","stereo":"top-bottom","yaw":10,"pitch":-5}}';
  const alphabet = '{}[]":,0123456789.-eE nulltrueabcdefghijklmnopqrstuvwxyz\\\u00e9';
  let accepted = 0;
  let other = 0;
  for (let i = 0; i < 2000; i++) {
    const chars = [...base];
    for (let m = 1 + rand(4); m > 0; m--) {
      const at = rand(chars.length + 1);
      const op = rand(3);
      if (op === 0) chars.splice(at, 1);
      else if (op === 1) chars.splice(at, 0, alphabet[rand(alphabet.length)]);
      else chars[at] = alphabet[rand(alphabet.length)];
    }
    try {
      const layout = parseLayoutJson(chars.join(''));
      accepted++;
      t.same(parseLayoutJson(layoutJson(layout)), layout);
    } catch (err) {
      if (!isScError(err, 'SC_ERR_LAYOUT')) other++;
    }
  }
  t.equal(other, 0, 'every refusal is SC_ERR_LAYOUT');
  t.ok(accepted > 0, `some mutations stay valid (${accepted}), and those round-trip`);
});
