import t from 'tap';
import { flagOf, helpText, loadConfig, parseCommandLine } from '../../src/shared/config/config';
import { headerRecord, loadtestSchema, masterUrl, targetBase } from '../../src/loadtest/config';

t.test('every setting is a kebab-case flag, named first in its help line', async (t) => {
  const help = helpText('loadtest', 'test', loadtestSchema, [], true);
  for (const [key, s] of Object.entries(loadtestSchema)) t.match(help, new RegExp(`${s.env} +${flagOf(key)}: `), key);
  t.equal(flagOf('thinkDeviation'), '--think-deviation');
});

t.test('flags become settings and override the environment; other arguments pass through', async (t) => {
  const cli = parseCommandLine(
    ['compare', '--host', 'edge.example:8081', '--threads=150', '--rampup', '15', '--mode', 'player', '--config', 'c.json', 'b.json', '--help'],
    loadtestSchema,
  );
  t.same(cli.positionals, ['compare', 'b.json']);
  t.equal(cli.configFile, 'c.json');
  t.equal(cli.help, true);
  t.same(cli.flags, { host: 'edge.example:8081', threads: '150', rampup: '15', mode: 'player' });
  const c = loadConfig(loadtestSchema, { env: { LOADTEST_THREADS: '9' }, flags: cli.flags });
  t.equal(c.threads, 150);
  t.equal(c.host, 'http://edge.example:8081');
  t.equal(c.duration, 180, 'the reference default');
  t.equal(masterUrl(c), 'http://edge.example:8081/hls/test.m3u8');
  t.throws(() => parseCommandLine(['--threads'], loadtestSchema), /--threads needs a value/);
  t.throws(() => parseCommandLine(['--threads', '--rampup', '3'], loadtestSchema), /--threads needs a value/);
  t.throws(() => loadConfig(loadtestSchema, { flags: { threads: 'many' } }), /LOADTEST_THREADS \(from --threads\)/);
  t.throws(() => parseCommandLine(['--threads', '3']), /unknown option --threads/, 'programs without flags refuse them');
});

t.test('the target may be a host, host:port or URL with a path prefix; bad ones are refused clearly', async (t) => {
  t.equal(targetBase('127.0.0.1'), 'http://127.0.0.1');
  t.equal(targetBase('https://d111.cloudfront.net/'), 'https://d111.cloudfront.net');
  t.equal(targetBase('http://lb:8081/prefix/'), 'http://lb:8081/prefix');
  t.throws(() => targetBase('ftp://x'), /http\(s\)/);
  t.throws(() => targetBase('http://x/?a=1'), /plain base URL/);
  t.throws(() => loadConfig(loadtestSchema, { env: { LOADTEST_MODE: 'jmeter' } }), /LOADTEST_MODE .*must be one of plan, player/);
  t.throws(() => loadConfig(loadtestSchema, { env: { LOADTEST_THREADS: '0' } }), /LOADTEST_THREADS/);
  const c = loadConfig(loadtestSchema, { env: { LOADTEST_MASTER_PATH: '/vod/a/MANIFEST.M3U8', LOADTEST_HEADERS: 'X-Origin-Verify: s3cret' } });
  t.equal(masterUrl(c), 'http://127.0.0.1/vod/a/MANIFEST.M3U8');
  t.same(headerRecord(c.headers), { 'x-origin-verify': 's3cret' });
});
