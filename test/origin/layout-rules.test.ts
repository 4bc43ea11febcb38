import t from 'tap';
import { isScError } from '../../src/shared/errors';
import { parseLayoutRules, requestedLayout } from '../../src/origin/layout-rules';

const refuses = (fn: () => unknown, code: 'SC_ERR_CONFIG' | 'SC_ERR_LAYOUT'): boolean => {
  try {
    fn();
    return false;
  } catch (err) {
    return isScError(err, code);
  }
};

t.test('STREAM_LAYOUTS entries: pattern=projection[/stereo[/yaw[/pitch]]], refused clearly when wrong', async (t) => {
  const rules = parseLayoutRules(['cam360-*=equirect/top-bottom', 'vr180=equirect180/side-by-side/30/-10', 'c?be=cubemap']);
  t.same(rules.map((r) => r.layout), [
    { projection: 'equirect', stereo: 'top-bottom' },
    { projection: 'equirect180', stereo: 'side-by-side', yaw: 30, pitch: -10 },
    { projection: 'cubemap' },
  ]);
  t.ok(rules[0]!.pattern.test('cam360-east') && !rules[0]!.pattern.test('xcam360-east'), 'globs are anchored');
  t.ok(rules[2]!.pattern.test('cube') && !rules[2]!.pattern.test('cuube'));
  for (const bad of ['=equirect', 'cam=sphere2', 'cam=equirect/3d', 'cam=equirect/mono/400', 'cam.*=flat']) {
    t.ok(refuses(() => parseLayoutRules([bad]), 'SC_ERR_CONFIG'), bad);
  }
});

t.test('what a publish asks for: its URL, then the first matching rule, then DEFAULT_PROJECTION; bad URL values refuse', async (t) => {
  const rules = parseLayoutRules(['cam*=equirect/top-bottom']);
  t.same(requestedLayout('cam1', { projection: '180', stereo: 'sbs', yaw: '15' }, rules, 'auto'), [
    { projection: 'equirect180', stereo: 'side-by-side', yaw: 15 },
    { projection: 'equirect', stereo: 'top-bottom' },
    { projection: 'auto' },
  ]);
  t.same(requestedLayout('other', {}, rules, 'flat'), [{}, {}, { projection: 'flat' }]);
  t.ok(refuses(() => requestedLayout('cam1', { projection: 'banana' }, rules, 'auto'), 'SC_ERR_LAYOUT'));
  t.ok(refuses(() => requestedLayout('cam1', { pitch: '91' }, rules, 'auto'), 'SC_ERR_LAYOUT'));
});
