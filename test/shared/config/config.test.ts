import t from 'tap';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { helpText, loadConfig, parseCommandLine, setting } from '../../../src/shared/config/config';
import { integer, port, size, seconds } from '../../../src/shared/config/parsers';
import { isScError } from '../../../src/shared/errors';

const schema = {
  httpPort: setting('HTTP_PORT', 8080, port, 'HTTP listen port'),
  recordMaxSize: setting('RECORD_MAX_SIZE', 128000 * 1024, size(), 'rollover size'),
  hlsFragment: setting('HLS_FRAGMENT', 2, seconds({ min: 0.5 }), 'segment length'),
  workers: setting('WORKERS', 1, integer({ min: 1 }), 'workers'),
};

t.test('defaults apply when nothing is set', async (t) => {
  const c = loadConfig(schema, { env: {} });
  t.same(c, { httpPort: 8080, recordMaxSize: 131072000, hlsFragment: 2, workers: 1 });
  t.ok(Object.isFrozen(c));
});

t.test('environment overrides the file, which overrides defaults', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sc-config-'));
  const file = join(dir, 'c.json');
  writeFileSync(file, JSON.stringify({ HTTP_PORT: 9000, hlsFragment: '4', WORKERS: 3 }));
  const c = loadConfig(schema, { env: { WORKERS: '5' }, configFile: file });
  t.equal(c.httpPort, 9000);
  t.equal(c.hlsFragment, 4);
  t.equal(c.workers, 5);
});

t.test('errors name the bad setting and carry SC_ERR_CONFIG', async (t) => {
  try {
    loadConfig(schema, { env: { HTTP_PORT: 'eighty' } });
    t.fail('should throw');
  } catch (err) {
    t.ok(isScError(err, 'SC_ERR_CONFIG'));
    t.match((err as Error).message, /HTTP_PORT/);
  }
  t.throws(() => loadConfig(schema, { env: { HTTP_PORT: '70000' } }), /HTTP_PORT .*<= 65535/);
});

t.test('unknown keys in the config file are refused', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sc-config-'));
  const file = join(dir, 'c.json');
  writeFileSync(file, JSON.stringify({ HTTP_PROT: 1 }));
  t.throws(() => loadConfig(schema, { env: {}, configFile: file }), /unknown setting "HTTP_PROT"/);
});

t.test('sizes take nginx-style suffixes', async (t) => {
  const p = size();
  t.equal(p('128000K'), 128000 * 1024);
  t.equal(p('2M'), 2 * 1024 * 1024);
  t.equal(p('1g'), 1024 ** 3);
  t.equal(p('512'), 512);
  t.throws(() => p('2MB'));
});

t.test('durations take units', async (t) => {
  const p = seconds();
  t.equal(p('2'), 2);
  t.equal(p('500ms'), 0.5);
  t.equal(p('1m'), 60);
  t.throws(() => p('soon'));
});

t.test('command line: --config, --help, positionals, unknown options', async (t) => {
  t.same(parseCommandLine(['--config', 'x.json', 'transcode', 'a', 'b']), { help: false, configFile: 'x.json', positionals: ['transcode', 'a', 'b'], flags: {} });
  t.equal(parseCommandLine(['--help']).help, true);
  t.throws(() => parseCommandLine(['--frobnicate']), /unknown option/);
});

t.test('help lists every setting with its default', async (t) => {
  const h = helpText('origin', 'test', schema);
  for (const s of Object.values(schema)) t.match(h, s.env);
  t.match(h, /default: 8080/);
});
