import t from 'tap';
import { hostHeaderProblem, validHostValue } from '../../src/shared/http/host-header';

t.test('one Host field line with a valid value passes; more than one, or an invalid value, is a 400 (RFC 9112 3.2)', async (t) => {
  t.equal(hostHeaderProblem(['Host', 'example.com', 'Accept', '*/*']), undefined);
  t.equal(hostHeaderProblem(['host', '127.0.0.1:8080']), undefined);
  t.equal(hostHeaderProblem(['Host', '[::1]:8080']), undefined);
  t.equal(hostHeaderProblem(['Host', '']), undefined, 'empty, as for a target without authority');
  t.equal(hostHeaderProblem([]), undefined, 'a missing Host is node:http\'s to refuse (HTTP/1.0 may omit it)');
  t.equal(hostHeaderProblem(['Host', 'a', 'HOST', 'a']), 'more than one Host header', 'even the same value twice');
  t.equal(hostHeaderProblem(['Host', 'a', 'X', 'y', 'host', 'b']), 'more than one Host header');
  t.equal(hostHeaderProblem(['Host', 'a b']), 'invalid Host header');
  t.equal(hostHeaderProblem(['Host', 'a/b']), 'invalid Host header');
  t.equal(hostHeaderProblem(['Host', 'user@host']), 'invalid Host header', 'no userinfo in Host');
  t.equal(hostHeaderProblem(['Host', 'h:80x']), 'invalid Host header');
  t.ok(validHostValue(' edge.example:443 '), 'whitespace around the value is not part of it');
  t.ok(validHostValue('xn--bcher-kva.example'));
  t.notOk(validHostValue('[::1'));
});

t.test('seeded fuzz: a Host value is valid exactly when it matches uri-host [":" port]', async (t) => {
  let seed = 12;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const alphabet = 'ab9.-:[]@/ %2F?#\\"\'';
  const reference = /^(?:\[[0-9A-Za-z:._~!$&'()*+,;=-]+\]|(?:[0-9A-Za-z._~!$&'()*+,;=-]|%[0-9A-Fa-f]{2})*)(?::[0-9]*)?$/;
  for (let i = 0; i < 2000; i++) {
    let v = '';
    const n = Math.floor(rand() * 12);
    for (let j = 0; j < n; j++) v += alphabet[Math.floor(rand() * alphabet.length)];
    const ok = hostHeaderProblem(['Host', v]) === undefined;
    if (ok !== reference.test(v.trim())) t.fail(`${JSON.stringify(v)} judged ${ok ? 'valid' : 'invalid'}`);
    if (/[ /@?#\\"]/.test(v.trim()) && ok) t.fail(`${JSON.stringify(v)} passed with a character no host has`);
  }
  t.pass('2000 seeded values judged');
});
