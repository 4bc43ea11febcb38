// The transcoder group's scaling, computed from the template's own metric-math expressions: target
// tracking on jobs per instance, plus the alarm that starts the first instance (target tracking
// multiplies the current capacity, so from zero it never scales out).
import t from 'tap';
import { join } from 'node:path';
import { evaluator, resolvedProperties, STACK_CHOICES } from './fixtures/cfn-evaluate';
import { DEPLOY_DIR, loadTemplate } from './fixtures/cfn-template';
import { evaluateMetricMath, type Datapoint } from './fixtures/metric-math';

const tpl = loadTemplate(join(DEPLOY_DIR, 'spherecast.yaml'));
const ev = evaluator(tpl, STACK_CHOICES);
const props = (name: string) => resolvedProperties(tpl, ev, name)!;
const group = props('TranscoderAutoScalingGroup');
const tracking = props('TranscoderBacklogScaling');
const alarm = props('TranscoderJobsWithoutWorkerAlarm');
const stepPolicy = props('TranscoderScaleFromZero');
const returned = (metrics: Array<{ ReturnData: boolean; Expression?: string }>) => {
  const out = metrics.filter((m) => m.ReturnData);
  if (out.length !== 1 || !out[0].Expression) throw new Error('expected one returned expression');
  return out[0].Expression;
};

interface Fleet {
  visible: number;
  inflight: number;
  /** InService instances (booting ones are not counted yet). */
  inService: number;
  desired: number;
  /** false: the group published no capacity point this minute. */
  desiredPublished?: boolean;
}

/** One evaluation minute: target tracking, then the scale-from-zero alarm, each as AWS applies it. */
function nextDesired(f: Fleet): number {
  let desired = f.desired;
  const target = Number(tracking.TargetTrackingConfiguration.TargetValue);
  const perInstance = evaluateMetricMath(returned(tracking.TargetTrackingConfiguration.CustomizedMetricSpecification.Metrics), {
    visible: f.visible,
    inflight: f.inflight,
    instances: f.inService,
  });
  // Target tracking sets capacity proportionally: capacity x metric / target.
  if (perInstance !== undefined && perInstance !== target) desired = Math.ceil((f.desired * perInstance) / target);
  const values: Record<string, Datapoint> = { visible: f.visible, inflight: f.inflight, desired: f.desiredPublished === false ? undefined : f.desired };
  const signal = evaluateMetricMath(returned(alarm.Metrics), values);
  if (signal !== undefined && signal > Number(alarm.Threshold)) {
    const step = stepPolicy.StepAdjustments.find((s: any) => signal - Number(alarm.Threshold) >= Number(s.MetricIntervalLowerBound ?? -Infinity));
    if (stepPolicy.AdjustmentType === 'ExactCapacity') desired = Number(step.ScalingAdjustment);
    else desired += Number(step.ScalingAdjustment);
  }
  return Math.min(Number(group.MaxSize), Math.max(Number(group.MinSize), desired));
}

t.test('the metric-math evaluator reads what CloudWatch reads', async (t) => {
  t.equal(evaluateMetricMath('(a + b) / IF(c > 0, c, 1)', { a: 3, b: 1, c: 2 }), 2);
  t.equal(evaluateMetricMath('(a + b) / IF(c > 0, c, 1)', { a: 3, b: 1, c: 0 }), 4);
  t.equal(evaluateMetricMath('IF(FILL(d, 0) == 0, a + b, 0)', { a: 1, b: 0, d: undefined }), 1, 'FILL stands in for a missing point');
  t.equal(evaluateMetricMath('a + b', { a: 1, b: undefined }), undefined, 'a missing point stays missing');
  t.equal(evaluateMetricMath('NOT a AND b OR -c < 0', { a: 0, b: 1, c: 1 }), 1);
  t.throws(() => evaluateMetricMath('SUM(METRICS())', {}), /unsupported|expected/);
  t.throws(() => evaluateMetricMath('a +', { a: 1 }), /expected/);
});

t.test('zero instances and one waiting recording: a transcoder starts', async (t) => {
  t.equal(nextDesired({ visible: 1, inflight: 0, inService: 0, desired: 0 }), 1);
  t.equal(nextDesired({ visible: 1, inflight: 0, inService: 0, desired: 0, desiredPublished: false }), 1, 'also when the idle group published no capacity point');
  t.equal(nextDesired({ visible: 0, inflight: 1, inService: 0, desired: 0 }), 1, 'a job left in flight by a vanished instance counts');
});

t.test('the alarm starts an instance, then gets out of target tracking’s way', async (t) => {
  t.same(alarm.AlarmActions, ['TranscoderScaleFromZero-0123456789abcdef']);
  t.equal(stepPolicy.AutoScalingGroupName, 'TranscoderAutoScalingGroup-0123456789abcdef');
  t.ok(group.MetricsCollection[0].Metrics.includes('GroupDesiredCapacity'), 'the group publishes its desired capacity');
  // While the first instance boots (desired 1, none in service), the alarm must not hold capacity at 1.
  const booting = nextDesired({ visible: 3, inflight: 0, inService: 0, desired: 3 });
  t.ok(booting >= 3, `booting instances are not cut back to one (${booting})`);
  t.equal(nextDesired({ visible: 0, inflight: 0, inService: 0, desired: 0 }), 0, 'an idle, empty group stays at zero');
});

t.test('steady state, scale-out and scale-in follow jobs per instance', async (t) => {
  t.equal(nextDesired({ visible: 0, inflight: 1, inService: 1, desired: 1 }), 1, 'one job on one instance: steady');
  t.equal(nextDesired({ visible: 2, inflight: 2, inService: 2, desired: 2 }), 4, 'four jobs on two instances: four');
  t.equal(nextDesired({ visible: 20, inflight: 1, inService: 1, desired: 1 }), Number(group.MaxSize), 'never beyond the maximum');
  t.equal(nextDesired({ visible: 0, inflight: 1, inService: 2, desired: 2 }), 1, 'one job on two instances: scale in to one');
  t.equal(nextDesired({ visible: 0, inflight: 0, inService: 1, desired: 1 }), 0, 'no jobs: scale in to zero');
});
