import type { CachedObject } from './cached-object';

/**
 * Where the proxy cache gets what it does not hold: one answer per call, already judged. `store`
 * says whether (and the object's times say how long) it may be kept; a failed fetch carries the
 * answer to give when nothing better is cached, and `stale` when that answer is itself a stale copy
 * (a shared cache tier serving STALE).
 */
export type Fetched =
  | { kind: 'answer'; object: CachedObject; store: boolean }
  | { kind: 'failed'; object: CachedObject; stale?: boolean };

export interface ObjectSource {
  /** `previous`: the expired copy, whose validators let the source revalidate instead of refetching. */
  fetch(key: string, previous?: CachedObject): Promise<Fetched>;
}
