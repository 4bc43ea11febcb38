import { performance } from 'node:perf_hooks';
import type { Clock } from '../shared/clock';
import type { ConnectionPool } from './connection-pool';
import { networkErrorKind, statusErrorKind } from './error-kind';
import type { RequestType, Results, Sample } from './results';

/**
 * One GET as a virtual viewer makes it: times it to the last body byte, counts the bytes without keeping
 * segment bodies, records the outcome in the results and never throws. Playlists are parsed by the caller's
 * parser; a body that does not parse counts as a `parse` error.
 */
export interface FetchedEvent extends Sample {
  viewer: number;
  url: string;
}

export interface MediaFetcherOptions {
  /** The viewers' connections (their request headers and timeouts). */
  pool: ConnectionPool;
  results: Results;
  clock: Clock;
  /** Called for every recorded request (tests use it to check the order of requests). */
  onFetched?: (e: FetchedEvent) => void;
  /** High-resolution timer for response times (ms); defaults to performance.now. */
  timer?: () => number;
}

export type Fetched<T> = { ok: true; value: T; status: number } | { ok: false; status?: number; stopped?: boolean };

// The reference plan's User-Agent (an iPhone), so CDN logs look like the workshop's.
export const USER_AGENT = 'Mozilla/5.0 (iPhone; CPU iPhone OS 5_1 like Mac OS X) AppleWebKit/534.46 (KHTML, like Gecko) Version/5.1 Mobile/9B179 Safari/7534.48.3 spherecast-loadtest';

export class MediaFetcher {
  private readonly timer: () => number;

  constructor(private readonly o: MediaFetcherOptions) {
    this.timer = o.timer ?? (() => performance.now());
  }

  /** A playlist: the body is parsed with `parse`. */
  playlist<T>(viewer: number, type: RequestType, url: string, parse: (text: string) => T, signal: AbortSignal): Promise<Fetched<T>> {
    return this.get(viewer, type, url, signal, parse);
  }

  /** A segment: the body is counted and dropped. */
  segment(viewer: number, url: string, signal: AbortSignal): Promise<Fetched<number>> {
    return this.get(viewer, 'segment', url, signal, undefined);
  }

  private async get<T>(viewer: number, type: RequestType, url: string, signal: AbortSignal, parse: ((text: string) => T) | undefined): Promise<Fetched<any>> {
    const startedAt = this.o.clock.now();
    const t0 = this.timer();
    let status: number | undefined;
    let bytes = 0;
    let cacheStatus: string | undefined;
    try {
      if (signal.aborted) return { ok: false, stopped: true };
      const res = await this.o.pool.get(viewer, url, parse !== undefined);
      status = res.status;
      cacheStatus = res.cacheStatus;
      bytes = res.bytes;
      const text = parse && res.body !== undefined && status >= 200 && status < 300 ? res.body.toString('utf8') : '';
      const ms = this.timer() - t0;
      const httpError = statusErrorKind(status);
      if (httpError) {
        this.record(viewer, url, { type, startedAt, ms, bytes, status, error: httpError, cacheStatus });
        return { ok: false, status };
      }
      let value: unknown = bytes;
      if (parse) {
        try {
          value = parse(text);
        } catch {
          this.record(viewer, url, { type, startedAt, ms, bytes, status, error: 'parse', cacheStatus });
          return { ok: false, status };
        }
      }
      this.record(viewer, url, { type, startedAt, ms, bytes, status, cacheStatus });
      return { ok: true, value, status };
    } catch (err) {
      // A run that is being torn down aborts what is still in flight: not a measurement.
      if (signal.aborted) return { ok: false, stopped: true };
      this.record(viewer, url, { type, startedAt, ms: this.timer() - t0, bytes, status, error: networkErrorKind(err), cacheStatus });
      return { ok: false, status };
    }
  }

  private record(viewer: number, url: string, s: Sample): void {
    this.o.results.record(s);
    this.o.onFetched?.({ ...s, viewer, url });
  }
}
