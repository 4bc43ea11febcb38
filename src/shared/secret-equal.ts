import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Whether a secret someone sent equals the expected one, in a time that tells nothing about
 * either: both are hashed first, so even their lengths stay hidden from a timing attacker
 * (timingSafeEqual alone needs equal lengths and would leak the expected one's).
 */
export function secretEquals(given: string | Buffer | undefined, expected: string | Buffer): boolean {
  if (given === undefined) return false;
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
