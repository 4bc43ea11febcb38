import t from 'tap';
import { checkPublish, parsePublishKeys, signPublish } from '../../src/origin/publish-auth';

const now = 1_700_000_000_000;
const open = { keys: new Map<string, string>(), hmacSecret: '' };

t.test('names outside the safe set are refused', async (t) => {
  t.equal(checkPublish(open, 'live', 'test_1-A', {}, now), undefined);
  t.match(checkPublish(open, 'live', 'a'.repeat(65), {}, now), /1-64/);
  t.match(checkPublish(open, 'live', 'x.y', {}, now), /letters/);
});

t.test('a per-stream key must match', async (t) => {
  const auth = { keys: parsePublishKeys(['cam1=s3cret=x']), hmacSecret: '' };
  t.equal(auth.keys.get('cam1'), 's3cret=x', 'secrets may contain =');
  t.equal(checkPublish(auth, 'live', 'cam1', { key: 's3cret=x' }, now), undefined);
  t.match(checkPublish(auth, 'live', 'cam1', { key: 'nope' }, now), /key/);
  t.match(checkPublish(auth, 'live', 'cam1', {}, now), /key/);
  t.equal(checkPublish(auth, 'live', 'other', {}, now), undefined, 'unlisted names need no key');
});

t.test('signed publish URLs: valid, expired, forged', async (t) => {
  const auth = { keys: new Map<string, string>(), hmacSecret: 'hmac-secret' };
  const exp = now / 1000 + 60;
  const sig = signPublish('hmac-secret', 'live', 'cam', exp);
  t.equal(checkPublish(auth, 'live', 'cam', { exp: String(exp), sig }, now), undefined);
  t.match(checkPublish(auth, 'live', 'cam', { exp: String(exp), sig }, now + 61_000), /expired/);
  t.match(checkPublish(auth, 'live', 'cam2', { exp: String(exp), sig }, now), /signature/);
  t.match(checkPublish(auth, 'live', 'cam', {}, now), /not signed/);
});
