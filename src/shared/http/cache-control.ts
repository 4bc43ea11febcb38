/**
 * The one Cache-Control reader (RFC 9111 5.2, list syntax of RFC 9110 5.6.1) for every path that
 * judges a response: the edge's store decision, its revalidation and whatever else asks. It takes
 * the field as the HTTP client gives it, one string per field line, because an origin may put
 * `private` or `no-store` on a second line and that line counts as much as the first.
 *
 * Bounded: at most MAX_CACHE_CONTROL_CHARS over all lines and MAX_DIRECTIVES directives; beyond
 * that the field is `oversized` and callers treat the response as not storable.
 */
export const MAX_CACHE_CONTROL_CHARS = 8192;
export const MAX_DIRECTIVES = 64;

/**
 * A delta-seconds argument: seconds, or 'invalid' when the directive is present with a value that
 * is not one (negative, fractional, empty, conflicting duplicates), which RFC 9111 4.2.1 says to
 * treat as stale rather than as absent.
 */
export type DeltaSeconds = number | 'invalid';

export interface CacheControl {
  noStore: boolean;
  /** Unqualified or with field names: either way this edge never reuses it without the origin. */
  noCache: boolean;
  /** Unqualified or with field names: a shared cache keeps neither. */
  private: boolean;
  public: boolean;
  mustRevalidate: boolean;
  proxyRevalidate: boolean;
  maxAge?: DeltaSeconds;
  sMaxAge?: DeltaSeconds;
  /** The field went past the parser's bounds; nothing else in this object is to be trusted. */
  oversized: boolean;
}

/** RFC 9111 1.2.2: a larger delta-seconds is taken as 2^31. */
const DELTA_MAX = 2 ** 31;
const TCHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;

export type FieldLines = string | readonly string[] | undefined;

function linesOf(field: FieldLines): readonly string[] {
  if (field === undefined) return [];
  return typeof field === 'string' ? [field] : field;
}

function deltaSeconds(raw: string | undefined): DeltaSeconds {
  if (raw === undefined || !/^\d+$/.test(raw)) return 'invalid';
  const n = Number(raw);
  return n > DELTA_MAX ? DELTA_MAX : n;
}

/** A repeated directive keeps its value only if every occurrence agrees (RFC 9111 4.2.1). */
function merge(previous: DeltaSeconds | undefined, next: DeltaSeconds): DeltaSeconds {
  return previous === undefined || previous === next ? next : 'invalid';
}

interface Directive {
  name: string;
  value: string | undefined;
}

/**
 * Splits the field into `name[=value]` directives: names lower-cased, quoted values unquoted
 * (commas inside them do not split). An element that is not a directive is skipped up to the next
 * comma. Returns null past the bounds.
 */
export function cacheControlDirectives(field: FieldLines): Directive[] | null {
  const lines = linesOf(field);
  let total = 0;
  for (const line of lines) total += line.length + 1;
  if (total > MAX_CACHE_CONTROL_CHARS) return null;
  const text = lines.join(',');
  const out: Directive[] = [];
  let i = 0;
  const n = text.length;
  const skipOws = () => {
    while (i < n && (text[i] === ' ' || text[i] === '\t')) i++;
  };
  const skipElement = () => {
    while (i < n && text[i] !== ',') i++;
  };
  while (i < n) {
    skipOws();
    if (text[i] === ',') {
      i++;
      continue;
    }
    const start = i;
    while (i < n && TCHAR.test(text[i]!)) i++;
    const name = text.slice(start, i).toLowerCase();
    skipOws();
    let value: string | undefined;
    let ok = name.length > 0;
    if (ok && text[i] === '=') {
      i++;
      skipOws();
      if (text[i] === '"') {
        i++;
        let v = '';
        let closed = false;
        while (i < n) {
          const c = text[i++]!;
          if (c === '"') {
            closed = true;
            break;
          }
          if (c === '\\' && i < n) v += text[i++]!;
          else v += c;
        }
        value = v;
        ok = closed;
      } else {
        const vs = i;
        while (i < n && TCHAR.test(text[i]!)) i++;
        value = text.slice(vs, i);
      }
      skipOws();
    }
    if (i < n && text[i] !== ',') ok = false;
    skipElement();
    if (ok) {
      if (out.length >= MAX_DIRECTIVES) return null;
      out.push({ name, value });
    } else if (name === 'max-age' || name === 's-maxage') {
      // A freshness directive that cannot be read is still there, and says "stale".
      if (out.length >= MAX_DIRECTIVES) return null;
      out.push({ name, value: undefined });
    }
  }
  return out;
}

export function parseCacheControl(field: FieldLines): CacheControl {
  const cc: CacheControl = { noStore: false, noCache: false, private: false, public: false, mustRevalidate: false, proxyRevalidate: false, oversized: false };
  const directives = cacheControlDirectives(field);
  if (directives === null) return { ...cc, oversized: true };
  for (const { name, value } of directives) {
    switch (name) {
      case 'no-store':
        cc.noStore = true;
        break;
      case 'no-cache':
        cc.noCache = true;
        break;
      case 'private':
        cc.private = true;
        break;
      case 'public':
        cc.public = true;
        break;
      case 'must-revalidate':
        cc.mustRevalidate = true;
        break;
      case 'proxy-revalidate':
        cc.proxyRevalidate = true;
        break;
      case 'max-age':
        cc.maxAge = merge(cc.maxAge, deltaSeconds(value));
        break;
      case 's-maxage':
        cc.sMaxAge = merge(cc.sMaxAge, deltaSeconds(value));
        break;
      default:
        // Unknown directives are ignored (RFC 9111 5.2.3).
        break;
    }
  }
  return cc;
}
