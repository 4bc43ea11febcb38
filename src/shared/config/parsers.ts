/**
 * Pure value parsers for settings. Each takes the raw value (a string from the environment or
 * any JSON value from a config file) and returns the typed value or throws a plain Error whose
 * message completes "KEY <message>".
 */
export type Parser<T> = (raw: unknown) => T;

/** A parser of numbers written in a notation of their own (sizes: `128000K`): defaults may be written in it too. */
export type NotationParser = Parser<number> & { readonly notation: string };

function text(raw: unknown): string {
  if (typeof raw === 'string') return raw.trim();
  if (typeof raw === 'number' || typeof raw === 'boolean') return String(raw);
  throw new Error(`must be a string or number, got ${JSON.stringify(raw)}`);
}

export function integer(opts: { min?: number; max?: number } = {}): Parser<number> {
  return (raw) => {
    const s = text(raw);
    if (!/^-?\d+$/.test(s)) throw new Error(`must be a whole number, got "${s}"`);
    const n = Number(s);
    if (opts.min !== undefined && n < opts.min) throw new Error(`must be >= ${opts.min}, got ${n}`);
    if (opts.max !== undefined && n > opts.max) throw new Error(`must be <= ${opts.max}, got ${n}`);
    return n;
  };
}

export const port: Parser<number> = integer({ min: 0, max: 65535 });

export function decimal(opts: { min?: number; max?: number } = {}): Parser<number> {
  return (raw) => {
    const s = text(raw);
    if (!/^\d+(\.\d+)?$/.test(s)) throw new Error(`must be a non-negative number, got "${s}"`);
    const n = Number(s);
    if (opts.min !== undefined && n < opts.min) throw new Error(`must be >= ${opts.min}, got ${n}`);
    if (opts.max !== undefined && n > opts.max) throw new Error(`must be <= ${opts.max}, got ${n}`);
    return n;
  };
}

/** Seconds as a number: "2", "2.5", "2s", "500ms", "1m". */
export function seconds(opts: { min?: number; max?: number } = {}): Parser<number> {
  return (raw) => {
    const s = text(raw).toLowerCase();
    const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(s);
    if (!m) throw new Error(`must be a duration in seconds (2, 2.5, 500ms, 1m), got "${s}"`);
    const unit = { ms: 0.001, s: 1, m: 60, h: 3600 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
    const n = Number(m[1]) * unit;
    if (opts.min !== undefined && n < opts.min) throw new Error(`must be >= ${opts.min}s, got ${n}s`);
    if (opts.max !== undefined && n > opts.max) throw new Error(`must be <= ${opts.max}s, got ${n}s`);
    return n;
  };
}

/** Bytes with nginx-style suffixes: 128000K, 2M, 1G (powers of 1024, as nginx reads them). */
export function size(opts: { min?: number } = {}): NotationParser {
  const parse: Parser<number> = (raw) => {
    const s = text(raw);
    const m = /^(\d+)([kKmMgG]?)$/.exec(s);
    if (!m) throw new Error(`must be a size like 128000K, 2M or 1G, got "${s}"`);
    const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2].toLowerCase() as '' | 'k' | 'm' | 'g'];
    const n = Number(m[1]) * mult;
    if (opts.min !== undefined && n < opts.min) throw new Error(`must be at least ${opts.min} bytes, got ${n}`);
    return n;
  };
  return Object.assign(parse, { notation: 'size' });
}

export const bool: Parser<boolean> = (raw) => {
  if (typeof raw === 'boolean') return raw;
  const s = text(raw).toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(s)) return true;
  if (['0', 'false', 'no', 'off', ''].includes(s)) return false;
  throw new Error(`must be true or false, got "${s}"`);
};

export const string: Parser<string> = (raw) => text(raw);

export function oneOf<const T extends string>(values: readonly T[]): Parser<T> {
  return (raw) => {
    const s = text(raw) as T;
    if (!values.includes(s)) throw new Error(`must be one of ${values.join(', ')}, got "${s}"`);
    return s;
  };
}

export function pattern(re: RegExp, what: string): Parser<string> {
  return (raw) => {
    const s = text(raw);
    if (!re.test(s)) throw new Error(`must be ${what}, got "${s}"`);
    return s;
  };
}

/** An http(s) URL, or empty for "off". */
export const optionalHttpUrl: Parser<string> = (raw) => {
  const s = text(raw);
  if (s === '') return '';
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    throw new Error(`must be an http(s) URL, got "${s}"`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`must be an http(s) URL, got "${s}"`);
  return s;
};

/** Comma-separated list; a JSON array in a config file works too. */
export function list<T>(item: Parser<T>): Parser<readonly T[]> {
  return (raw) => {
    const parts = Array.isArray(raw) ? raw : text(raw).split(',').map((p) => p.trim()).filter((p) => p !== '');
    return Object.freeze(parts.map((p, i) => {
      try {
        return item(p);
      } catch (err) {
        throw new Error(`item ${i + 1}: ${(err as Error).message}`);
      }
    }));
  };
}

/** A JSON value given inline (env) or as structured JSON (config file), checked by `validate`. */
export function json<T>(validate: (v: unknown) => T): Parser<T> {
  return (raw) => {
    let v: unknown = raw;
    if (typeof raw === 'string') {
      try {
        v = JSON.parse(raw);
      } catch (err) {
        throw new Error(`must be JSON: ${(err as Error).message}`);
      }
    }
    return validate(v);
  };
}
