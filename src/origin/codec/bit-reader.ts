import { scError } from '../../shared/errors';

/**
 * MSB-first bit reader over codec configuration bytes (H.264 RBSP, AudioSpecificConfig). Every
 * read is checked against the end: a truncated or hostile config throws SC_ERR_CODEC_CONFIG
 * instead of reading zeros for ever, and exp-Golomb codes longer than 32 bits are refused.
 */
export class BitReader {
  private pos = 0;

  constructor(private readonly buf: Buffer) {}

  get bitsLeft(): number {
    return this.buf.length * 8 - this.pos;
  }

  /** Unsigned n-bit value, n <= 32. */
  u(n: number, what = 'field'): number {
    if (n > this.bitsLeft) throw scError('SC_ERR_CODEC_CONFIG', `${what} runs past the end`);
    let v = 0;
    for (let i = 0; i < n; i++) {
      const byte = this.buf[this.pos >> 3]!;
      v = v * 2 + ((byte >> (7 - (this.pos & 7))) & 1);
      this.pos++;
    }
    return v;
  }

  flag(what?: string): boolean {
    return this.u(1, what) === 1;
  }

  skip(n: number, what?: string): void {
    if (n > this.bitsLeft) throw scError('SC_ERR_CODEC_CONFIG', `${what ?? 'field'} runs past the end`);
    this.pos += n;
  }

  /** ue(v), H.264 9.1: at most 31 leading zeros, so the value fits 0..2^32-2. */
  ue(what = 'ue(v)'): number {
    let zeros = 0;
    while (this.u(1, what) === 0) {
      if (++zeros > 31) throw scError('SC_ERR_CODEC_CONFIG', `${what} is longer than 32 bits`);
    }
    return 2 ** zeros - 1 + this.u(zeros, what);
  }

  /** se(v), H.264 9.1.1. */
  se(what = 'se(v)'): number {
    const k = this.ue(what);
    return k % 2 ? (k + 1) / 2 : -(k / 2);
  }
}
