import { readFileSync } from 'node:fs';
import { request } from 'undici';
import type { Logger } from '../shared/logger';

/**
 * Polls EC2 instance metadata (IMDSv2: a session token from PUT /latest/api/token, then
 * GET /latest/meta-data/spot/instance-action, 404 until a Spot interruption is scheduled) and
 * reports the notice once, so the edge can drain within the two minutes it is given.
 */
export interface SpotNotice {
  action: string;
  time: string;
}

export interface SpotMonitorOptions {
  /** Metadata base URL, e.g. http://169.254.169.254 (a test points it at a local fake). */
  baseUrl: string;
  intervalMs: number;
  log: Logger;
  onNotice(notice: SpotNotice): void;
}

const TOKEN_TTL_SECONDS = 21600;
const REQUEST_TIMEOUT_MS = 2000;

export class SpotInterruptionMonitor {
  private readonly opts: SpotMonitorOptions;
  private readonly log: Logger;
  private token: string | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private noticed = false;

  constructor(opts: SpotMonitorOptions) {
    this.opts = opts;
    this.log = opts.log.child({ component: 'spot-interruption' });
  }

  start(): void {
    this.log.info({ baseUrl: this.opts.baseUrl, intervalMs: this.opts.intervalMs }, 'watching for Spot interruption notices');
    this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.stopped || this.noticed) return;
    this.timer = setTimeout(() => {
      this.pollOnce().then(
        (notice) => {
          if (notice && !this.noticed && !this.stopped) {
            this.noticed = true;
            this.log.warn({ notice }, 'Spot interruption notice: draining');
            this.opts.onNotice(notice);
          }
          this.schedule(this.opts.intervalMs);
        },
        (err) => {
          this.log.debug({ err }, 'metadata poll failed');
          this.schedule(this.opts.intervalMs);
        },
      );
    }, ms);
    this.timer.unref();
  }

  /** One poll: the notice, or null when none is scheduled. Throws when metadata is unreachable. */
  async pollOnce(): Promise<SpotNotice | null> {
    if (!this.token) this.token = await this.fetchToken();
    let res = await this.get(this.token);
    if (res.statusCode === 401) {
      await res.body.dump();
      this.token = await this.fetchToken();
      res = await this.get(this.token);
    }
    if (res.statusCode === 404) {
      await res.body.dump();
      return null;
    }
    if (res.statusCode !== 200) {
      await res.body.dump();
      throw new Error(`instance-action answered ${res.statusCode}`);
    }
    const text = await res.body.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new Error(`instance-action is not JSON: ${text.slice(0, 100)}`);
    }
    const p = parsed as Partial<SpotNotice>;
    if (typeof p.action !== 'string') throw new Error('instance-action without an action');
    return { action: p.action, time: typeof p.time === 'string' ? p.time : '' };
  }

  private async fetchToken(): Promise<string> {
    const res = await request(`${this.opts.baseUrl}/latest/api/token`, {
      method: 'PUT',
      headers: { 'x-aws-ec2-metadata-token-ttl-seconds': String(TOKEN_TTL_SECONDS) },
      headersTimeout: REQUEST_TIMEOUT_MS,
      bodyTimeout: REQUEST_TIMEOUT_MS,
    });
    const body = await res.body.text();
    if (res.statusCode !== 200 || body === '') throw new Error(`metadata token request answered ${res.statusCode}`);
    return body.trim();
  }

  private get(token: string) {
    return request(`${this.opts.baseUrl}/latest/meta-data/spot/instance-action`, {
      headers: { 'x-aws-ec2-metadata-token': token },
      headersTimeout: REQUEST_TIMEOUT_MS,
      bodyTimeout: REQUEST_TIMEOUT_MS,
    });
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
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
