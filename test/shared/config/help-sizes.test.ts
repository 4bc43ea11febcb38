import t from 'tap';
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { helpText, loadConfig, setting, type Schema } from '../../../src/shared/config/config';
import { size } from '../../../src/shared/config/parsers';
import { originSchema } from '../../../src/origin/config';
import { edgeSchema } from '../../../src/edge/config';
import { transcoderSchema } from '../../../src/transcoder/config';
import { loadtestSchema } from '../../../src/loadtest/config';

t.test('a size default written as 128000K loads as bytes and is shown as written', async (t) => {
  const schema = { recordMaxSize: setting('RECORD_MAX_SIZE', '128000K', size(), 'rollover size') };
  t.equal(loadConfig(schema, { env: {} }).recordMaxSize, 131072000);
  t.match(helpText('origin', 'test', schema), /RECORD_MAX_SIZE {2}rollover size \[default: 128000K\]/);
  t.throws(() => setting('BAD_SIZE', '12 MB', size(), 'x'), /must be a size/, 'a mistyped default fails at once');
});

t.test('every size setting of every program shows its default with its suffix, as written', async (t) => {
  const programs: Record<string, Schema> = { origin: originSchema, edge: edgeSchema, transcoder: transcoderSchema, loadtest: loadtestSchema };
  let sizes = 0;
  for (const [program, schema] of Object.entries(programs)) {
    const help = helpText(program, 'test', schema);
    const defaults = loadConfig(schema, { env: {} }) as Record<string, unknown>;
    for (const [key, s] of Object.entries(schema)) {
      if (!('notation' in s.parse)) continue;
      sizes++;
      t.match(s.shown, /^\d+[KMG]?$/, `${program} ${s.env} default is written as a size (${s.shown})`);
      t.ok(help.includes(`[default: ${s.shown}]`), `${program} --help shows ${s.env} as ${s.shown}`);
      t.equal(defaults[key], s.parse(s.shown), `${s.env} loads as the bytes it says`);
    }
  }
  t.ok(sizes >= 4, `${sizes} size settings checked`);
});

t.test('node dist/origin.js --help shows RECORD_MAX_SIZE as 128000K', async (t) => {
  const help = execFileSync(process.execPath, [resolve('dist/origin.js'), '--help'], { encoding: 'utf8' });
  t.match(help, /RECORD_MAX_SIZE .*\[default: 128000K\]/);
  t.notMatch(help, /131072000/);
});
