// The shared Cache-Control reader, on field lines as an HTTP client hands them over, plus the
// HTTP-date and Accept-Encoding readers the edge's cache decisions rest on.
import t from 'tap';
import { cacheControlDirectives, MAX_CACHE_CONTROL_CHARS, MAX_DIRECTIVES, parseCacheControl } from '../../src/shared/http/cache-control';
import { parseHttpDate } from '../../src/shared/http/http-date';
import { acceptsCoding } from '../../src/shared/http/accept-encoding';
import { seededRandom } from '../../src/loadtest/think-time';

const NONE = { noStore: false, noCache: false, private: false, public: false, mustRevalidate: false, proxyRevalidate: false, oversized: false };

t.test('every field line counts: a directive on a second line is as binding as on the first', async (t) => {
  t.same(parseCacheControl(undefined), NONE);
  t.same(parseCacheControl([]), NONE);
  t.same(parseCacheControl(['max-age=60', 'private']), { ...NONE, private: true, maxAge: 60 });
  t.same(parseCacheControl(['public, max-age=60', 'no-store']), { ...NONE, public: true, noStore: true, maxAge: 60 });
  t.same(parseCacheControl(['max-age=10', 'must-revalidate']), { ...NONE, mustRevalidate: true, maxAge: 10 });
  t.same(parseCacheControl(['', 's-maxage=5', ' ']), { ...NONE, sMaxAge: 5 });
  t.same(parseCacheControl('max-age=60'), parseCacheControl(['max-age=60']), 'a string is one line');
});

t.test('directive names are case-insensitive, quoted values are read, commas inside quotes do not split', async (t) => {
  t.same(parseCacheControl('No-Store, MAX-AGE=7, Proxy-Revalidate'), { ...NONE, noStore: true, maxAge: 7, proxyRevalidate: true });
  t.same(parseCacheControl('max-age="20", s-maxage = 30'), { ...NONE, maxAge: 20, sMaxAge: 30 });
  t.same(parseCacheControl('private="set-cookie, x-user", max-age=60'), { ...NONE, private: true, maxAge: 60 });
  t.same(parseCacheControl('no-cache="set-cookie"'), { ...NONE, noCache: true });
  t.same(cacheControlDirectives('a, b="x\\"y, z", c=1'), [{ name: 'a', value: undefined }, { name: 'b', value: 'x"y, z' }, { name: 'c', value: '1' }]);
  t.same(parseCacheControl('immutable, stale-while-revalidate=5, foo=bar, max-age=3'), { ...NONE, maxAge: 3 }, 'unknown directives are ignored');
});

t.test('an invalid, negative, fractional or conflicting max-age / s-maxage is "invalid" (stale), not absent', async (t) => {
  for (const v of ['max-age=-1', 'max-age=abc', 'max-age=1.5', 'max-age=', 'max-age', 'max-age=+5', 'max-age=5 6', 'max-age="5', 'max-age=10, max-age=20', 'max-age=10\u00a0']) {
    t.equal(parseCacheControl(v).maxAge, 'invalid', JSON.stringify(v));
  }
  t.equal(parseCacheControl(['max-age=10', 'max-age=10']).maxAge, 10, 'a repeated equal value stands');
  t.equal(parseCacheControl('s-maxage=-5').sMaxAge, 'invalid');
  t.equal(parseCacheControl('max-age=99999999999999999999').maxAge, 2 ** 31, 'beyond 2^31 is taken as 2^31 (RFC 9111 1.2.2)');
});

t.test('bounded: an oversized field or too many directives is flagged, not parsed', async (t) => {
  t.equal(parseCacheControl('a,'.repeat(MAX_DIRECTIVES) + 'max-age=5').oversized, true);
  t.equal(parseCacheControl(['max-age=5', 'x'.repeat(MAX_CACHE_CONTROL_CHARS)]).oversized, true);
  t.equal(parseCacheControl('a,'.repeat(MAX_DIRECTIVES - 1) + 'max-age=5').maxAge, 5);
});

t.test('fuzz: 20000 seeded random fields never throw and stay within the bounds', async (t) => {
  const random = seededRandom(20261126);
  const pieces = ['max-age', 's-maxage', 'no-store', 'private', 'no-cache', 'must-revalidate', '=', '"', '\\', ',', ' ', '\t', '-1', '60', 'x', ';', '\u0000', '\u00ff', '2147483648'];
  let invalid = 0;
  for (let i = 0; i < 20_000; i++) {
    const lines: string[] = [];
    const nLines = 1 + Math.floor(random() * 3);
    for (let l = 0; l < nLines; l++) {
      let s = '';
      const n = Math.floor(random() * 30);
      for (let k = 0; k < n; k++) s += pieces[Math.floor(random() * pieces.length)];
      lines.push(s);
    }
    const cc = parseCacheControl(lines);
    for (const v of [cc.maxAge, cc.sMaxAge]) {
      if (v === 'invalid') invalid++;
      else if (v !== undefined && !(Number.isInteger(v) && v >= 0 && v <= 2 ** 31)) t.fail(`bad value ${v} from ${JSON.stringify(lines)}`);
    }
    const d = cacheControlDirectives(lines);
    if (d !== null && d.length > MAX_DIRECTIVES) t.fail('too many directives');
  }
  t.ok(invalid > 0, 'the fuzz reached invalid values');
});

t.test('HTTP-date: the three forms of RFC 9110 5.6.7 and nothing else', async (t) => {
  const at = Date.UTC(1994, 10, 6, 8, 49, 37);
  t.equal(parseHttpDate('Sun, 06 Nov 1994 08:49:37 GMT'), at);
  t.equal(parseHttpDate('Sunday, 06-Nov-94 08:49:37 GMT', Date.UTC(2026, 0, 1)), at);
  t.equal(parseHttpDate('Sun Nov  6 08:49:37 1994'), at);
  for (const bad of ['0', '-1', '', 'tomorrow', '1994-11-06T08:49:37Z', 'Sun, 06 Nov 1994 08:49:37 PST', 'Sun, 31 Feb 1994 08:49:37 GMT', 'Sun, 06 Nov 1994 25:49:37 GMT', `Sun, 06 Nov 1994 08:49:37 GMT${' '.repeat(80)}x`]) {
    t.equal(parseHttpDate(bad), undefined, JSON.stringify(bad));
  }
});

t.test('Accept-Encoding: absent admits any coding, empty only identity, q=0 refuses, * covers the rest', async (t) => {
  t.equal(acceptsCoding(undefined, 'gzip'), true);
  t.equal(acceptsCoding('', 'gzip'), false);
  t.equal(acceptsCoding('gzip, deflate, br', 'gzip'), true);
  t.equal(acceptsCoding('GZIP;q=0.5', 'gzip'), true);
  t.equal(acceptsCoding('x-gzip', 'gzip'), true);
  t.equal(acceptsCoding('gzip;q=0', 'gzip'), false);
  t.equal(acceptsCoding('identity', 'gzip'), false);
  t.equal(acceptsCoding('br', 'gzip'), false);
  t.equal(acceptsCoding('*', 'gzip'), true);
  t.equal(acceptsCoding('*;q=0, br', 'gzip'), false);
  t.equal(acceptsCoding(['br', 'gzip'], 'gzip'), true, 'several field lines');
  t.equal(acceptsCoding('gzip', 'gzip, br'), false, 'every coding applied must be acceptable');
  t.equal(acceptsCoding('identity;q=0', 'identity'), true, 'identity needs no acceptance here: it is never stored as a coding');
});
