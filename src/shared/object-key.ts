import { SpherecastError } from './errors';

/**
 * The object keys every store accepts: the intersection of what S3 allows and what maps safely
 * onto a local folder. Spaces, `+`, `%` and any unicode are fine; what could escape the folder
 * (`..`, absolute paths) or confuse a filesystem (NUL, control characters, empty segments) is not.
 */
export const MAX_KEY_BYTES = 1024;

/** Returns why `key` is not a valid object key, or undefined when it is. Pure. */
export function objectKeyProblem(key: unknown): string | undefined {
  if (typeof key !== 'string') return 'must be a string';
  if (key.length === 0) return 'must not be empty';
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) return `must be at most ${MAX_KEY_BYTES} bytes of UTF-8`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(key)) return 'must not contain NUL or control characters';
  if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(key)) return 'must be well-formed unicode';
  if (key.startsWith('/')) return 'must be relative (no leading /)';
  for (const segment of key.split('/')) {
    if (segment === '') return 'must not contain empty segments (// or a trailing /)';
    if (segment === '.' || segment === '..') return `must not contain a "${segment}" segment`;
  }
  return undefined;
}

/** Throws SC_ERR_BAD_PATH naming the key and the reason. */
export function assertObjectKey(key: string): void {
  const problem = objectKeyProblem(key);
  if (problem) throw new SpherecastError('SC_ERR_BAD_PATH', [`object key ${JSON.stringify(key)} ${problem}`]);
}

/**
 * A listing prefix is a key's beginning: it may be empty or end with `/`, but must not climb out.
 */
export function assertObjectPrefix(prefix: string): void {
  if (prefix === '') return;
  const problem = objectKeyProblem(prefix.endsWith('/') ? prefix.slice(0, -1) : prefix);
  if (problem) throw new SpherecastError('SC_ERR_BAD_PATH', [`object prefix ${JSON.stringify(prefix)} ${problem}`]);
}
