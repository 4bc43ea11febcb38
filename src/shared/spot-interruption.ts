import { readFileSync } from 'node:fs';
import type { Logger } from '../shared/logger';

/**
 * EC2 Spot interruption notices through IMDSv2: a session token from PUT /latest/api/token, then
 * GET /latest/meta-data/spot/instance-action, which answers 404 until an interruption is
 * scheduled and then {"action":"terminate","time":"..."}. The base URL is a setting so a test can
 * point it at a local fake. The notice is reported once.
 */
export interface SpotNotice {
  readonly action: string;
  readonly time: string;
}

export interface SpotMonitorOptions {
  readonly baseUrl: string;
  readonly intervalMs: number;
  readonly log: Logger;
  readonly onNotice: (notice: SpotNotice) => void;
}

const TOKEN_TTL_SECONDS = 21600;
const REQUEST_TIMEOUT_MS = 2000;

export class SpotInterruptionMonitor {
  private readonly log: Logger;
  private token: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private noticed = false;

  constructor(private readonly opts: SpotMonitorOptions) {
    this.log = opts.log.child({ component: 'spot-interruption' });
  }

  start(): void {
    this.log.info({ baseUrl: this.opts.baseUrl, intervalMs: this.opts.intervalMs }, 'watching for Spot interruption notices');
    this.schedule(0);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private schedule(ms: number): void {
    if (this.stopped || this.noticed) return;
    this.timer = setTimeout(() => {
      this.pollOnce().then(
        (notice) => {
          if (notice && !this.noticed && !this.stopped) {
            this.noticed = true;
            this.log.warn({ notice }, 'Spot interruption notice');
            this.opts.onNotice(notice);
          }
          this.schedule(this.opts.intervalMs);
        },
        (err) => {
          this.log.debug({ err }, 'instance metadata poll failed');
          this.schedule(this.opts.intervalMs);
        },
      );
    }, ms);
    this.timer.unref();
  }

  /** One poll: the notice, or undefined when none is scheduled. Throws when metadata is unreachable. */
  async pollOnce(): Promise<SpotNotice | undefined> {
    if (!this.token) this.token = await this.fetchToken();
    let res = await this.get(this.token);
    if (res.status === 401) {
      this.token = await this.fetchToken();
      res = await this.get(this.token);
    }
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw new Error(`instance-action answered ${res.status}`);
    const text = await res.text();
    let p: Partial<SpotNotice>;
    try {
      p = JSON.parse(text) as Partial<SpotNotice>;
    } catch {
      throw new Error(`instance-action is not JSON: ${text.slice(0, 100)}`);
    }
    if (typeof p.action !== 'string') throw new Error('instance-action without an action');
    return { action: p.action, time: typeof p.time === 'string' ? p.time : '' };
  }

  private async fetchToken(): Promise<string> {
    const res = await fetch(`${this.opts.baseUrl}/latest/api/token`, {
      method: 'PUT',
      headers: { 'x-aws-ec2-metadata-token-ttl-seconds': String(TOKEN_TTL_SECONDS) },
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const body = (await res.text()).trim();
    if (res.status !== 200 || body === '') throw new Error(`metadata token request answered ${res.status}`);
    return body;
  }

  private async get(token: string): Promise<Response> {
    const res = await fetch(`${this.opts.baseUrl}/latest/meta-data/spot/instance-action`, {
      headers: { 'x-aws-ec2-metadata-token': token },
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    if (res.status !== 200) await res.arrayBuffer().catch(() => undefined);
    return res;
  }
}

/** Whether this looks like an EC2 instance (Nitro and Xen), judged from DMI and hypervisor files. */
export function looksLikeEc2(read: (path: string) => string = (p) => readFileSync(p, 'utf8')): boolean {
  const probes: Array<[string, RegExp]> = [
    ['/sys/class/dmi/id/board_asset_tag', /^i-[0-9a-f]+/],
    ['/sys/class/dmi/id/sys_vendor', /^Amazon EC2/],
    ['/sys/hypervisor/uuid', /^ec2/i],
  ];
  for (const [path, re] of probes) {
    try {
      if (re.test(read(path).trim())) return true;
    } catch {
      // missing file: not this kind of machine
    }
  }
  return false;
}

/**
 * Starts a monitor when `mode` asks for one (`auto`: only on EC2). Every program answers a notice the
 * way it answers SIGTERM, so the default reaction is to send itself one.
 */
export function startSpotMonitor(
  mode: 'auto' | 'on' | 'off',
  opts: Omit<SpotMonitorOptions, 'onNotice'> & { onNotice?: (notice: SpotNotice) => void },
): SpotInterruptionMonitor | undefined {
  if (mode === 'off' || (mode === 'auto' && !looksLikeEc2())) return undefined;
  const monitor = new SpotInterruptionMonitor({ ...opts, onNotice: opts.onNotice ?? (() => process.kill(process.pid, 'SIGTERM')) });
  monitor.start();
  return monitor;
}

/**
 * One poll at start-up: the interruption already scheduled for this instance, if any. A program
 * (re)started inside the two-minute notice must not take work it cannot finish: a transcoder that
 * took a job now would hand it back, and each such receive counts toward the dead-letter queue.
 * Unreachable metadata counts as no notice (the regular monitor keeps watching).
 */
export async function pendingSpotNotice(
  mode: 'auto' | 'on' | 'off',
  opts: Omit<SpotMonitorOptions, 'onNotice'>,
): Promise<SpotNotice | undefined> {
  if (mode === 'off' || (mode === 'auto' && !looksLikeEc2())) return undefined;
  const probe = new SpotInterruptionMonitor({ ...opts, onNotice: () => undefined });
  try {
    return await probe.pollOnce();
  } catch (err) {
    opts.log.debug({ err }, 'instance metadata not reachable at start-up');
    return undefined;
  }
}
