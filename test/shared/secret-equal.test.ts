import t from 'tap';
import { secretEquals } from '../../src/shared/secret-equal';

t.test('secrets compare equal only when identical, whatever their lengths or types', async (t) => {
  t.ok(secretEquals('s3cret', 's3cret'));
  t.ok(secretEquals(Buffer.from('s3cret'), 's3cret'));
  t.notOk(secretEquals('s3creT', 's3cret'));
  t.notOk(secretEquals('s3cre', 's3cret'), 'a prefix');
  t.notOk(secretEquals('s3cret ', 's3cret'));
  t.notOk(secretEquals('', 's3cret'));
  t.notOk(secretEquals(undefined, 's3cret'));
  t.notOk(secretEquals('x'.repeat(100_000), 's3cret'), 'a huge guess is just unequal');
});
