import { scError } from '../../shared/errors';

/** AMF0 values as decoded (AMF0 specification, 2.x). Objects and ECMA arrays have no prototype. */
export type Amf0Value = number | boolean | string | null | undefined | Date | Amf0Object | Amf0Value[];
export interface Amf0Object {
  [key: string]: Amf0Value;
}

export interface Amf0Limits {
  /** Nesting of objects and arrays. */
  maxDepth: number;
  /** Values in total, counting every property and array element. */
  maxItems: number;
  maxStringLength: number;
  /** Longest input accepted at all. */
  maxBytes: number;
}

/** RTMP commands are small: connect with a few dozen properties is the largest an encoder sends. */
export const COMMAND_LIMITS: Amf0Limits = { maxDepth: 8, maxItems: 512, maxStringLength: 8192, maxBytes: 64 * 1024 };

const NUMBER = 0x00;
const BOOLEAN = 0x01;
const STRING = 0x02;
const OBJECT = 0x03;
const NULL = 0x05;
const UNDEFINED = 0x06;
const ECMA_ARRAY = 0x08;
const OBJECT_END = 0x09;
const STRICT_ARRAY = 0x0a;
const DATE = 0x0b;
const LONG_STRING = 0x0c;
const XML_DOCUMENT = 0x0f;
const TYPED_OBJECT = 0x10;
const AVMPLUS = 0x11;

function malformed(reason: string): never {
  throw scError('SC_ERR_RTMP_PROTOCOL', `AMF0: ${reason}`);
}

/**
 * Bounded AMF0 decoder: depth, item count, string length and input size are all limited, and no
 * announced count is trusted (a strict array claiming 2^32 elements fails at the first missing
 * byte, not after allocating). References, movie clips and AMF3 (0x11) are refused.
 */
class Decoder {
  private pos = 0;
  private items = 0;

  constructor(
    private readonly buf: Buffer,
    private readonly limits: Amf0Limits,
  ) {
    if (buf.length > limits.maxBytes) malformed(`${buf.length} bytes exceed ${limits.maxBytes}`);
  }

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  private need(n: number): void {
    if (this.pos + n > this.buf.length) malformed('truncated');
  }

  private string(len: number): string {
    if (len > this.limits.maxStringLength) malformed(`string of ${len} bytes exceeds ${this.limits.maxStringLength}`);
    this.need(len);
    const s = this.buf.toString('utf8', this.pos, this.pos + len);
    this.pos += len;
    return s;
  }

  private shortString(): string {
    this.need(2);
    const len = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return this.string(len);
  }

  private longString(): string {
    this.need(4);
    const len = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return this.string(len);
  }

  /** Properties up to the object-end marker (00 00 09). */
  private properties(depth: number): Amf0Object {
    const obj: Amf0Object = Object.create(null);
    for (;;) {
      const key = this.shortString();
      if (key === '') {
        this.need(1);
        if (this.buf[this.pos] === OBJECT_END) {
          this.pos++;
          return obj;
        }
      }
      obj[key] = this.value(depth + 1);
    }
  }

  value(depth = 0): Amf0Value {
    if (depth > this.limits.maxDepth) malformed(`nested deeper than ${this.limits.maxDepth}`);
    if (++this.items > this.limits.maxItems) malformed(`more than ${this.limits.maxItems} values`);
    this.need(1);
    const marker = this.buf[this.pos++]!;
    switch (marker) {
      case NUMBER: {
        this.need(8);
        const v = this.buf.readDoubleBE(this.pos);
        this.pos += 8;
        return v;
      }
      case BOOLEAN:
        this.need(1);
        return this.buf[this.pos++] !== 0;
      case STRING:
        return this.shortString();
      case LONG_STRING:
      case XML_DOCUMENT:
        return this.longString();
      case OBJECT:
        return this.properties(depth);
      case TYPED_OBJECT:
        this.shortString();
        return this.properties(depth);
      case ECMA_ARRAY:
        // The count is a hint only (encoders get it wrong); the end marker ends the array.
        this.need(4);
        this.pos += 4;
        return this.properties(depth);
      case STRICT_ARRAY: {
        this.need(4);
        const count = this.buf.readUInt32BE(this.pos);
        this.pos += 4;
        if (count > this.limits.maxItems - this.items) malformed(`strict array of ${count} values exceeds the limit`);
        const arr: Amf0Value[] = [];
        for (let i = 0; i < count; i++) arr.push(this.value(depth + 1));
        return arr;
      }
      case DATE: {
        this.need(10);
        const ms = this.buf.readDoubleBE(this.pos);
        this.pos += 10;
        return new Date(ms);
      }
      case NULL:
        return null;
      case UNDEFINED:
        return undefined;
      case AVMPLUS:
        return malformed('AMF3 values are not supported (send AMF0)');
      default:
        return malformed(`unsupported type marker 0x${marker.toString(16)}`);
    }
  }
}

/** Pure: every AMF0 value in `buf`, in order. Throws SC_ERR_RTMP_PROTOCOL. */
export function decodeAmf0(buf: Buffer, limits: Amf0Limits = COMMAND_LIMITS): Amf0Value[] {
  const d = new Decoder(buf, limits);
  const out: Amf0Value[] = [];
  while (!d.done) out.push(d.value());
  return out;
}

/** Pure: AMF0 encoding of replies. Plain objects become AMF0 objects, arrays strict arrays. */
export function encodeAmf0(...values: Amf0Value[]): Buffer {
  const parts: Buffer[] = [];
  const str = (s: string) => {
    const b = Buffer.from(s, 'utf8');
    const long = b.length > 0xffff;
    const h = Buffer.alloc(long ? 5 : 3);
    h[0] = long ? LONG_STRING : STRING;
    if (long) h.writeUInt32BE(b.length, 1);
    else h.writeUInt16BE(b.length, 1);
    parts.push(h, b);
  };
  const enc = (v: Amf0Value): void => {
    if (typeof v === 'number') {
      const b = Buffer.alloc(9);
      b[0] = NUMBER;
      b.writeDoubleBE(v, 1);
      parts.push(b);
    } else if (typeof v === 'boolean') parts.push(Buffer.from([BOOLEAN, v ? 1 : 0]));
    else if (typeof v === 'string') str(v);
    else if (v === null) parts.push(Buffer.from([NULL]));
    else if (v === undefined) parts.push(Buffer.from([UNDEFINED]));
    else if (v instanceof Date) {
      const b = Buffer.alloc(11);
      b[0] = DATE;
      b.writeDoubleBE(v.getTime(), 1);
      parts.push(b);
    } else if (Array.isArray(v)) {
      const h = Buffer.alloc(5);
      h[0] = STRICT_ARRAY;
      h.writeUInt32BE(v.length, 1);
      parts.push(h);
      v.forEach(enc);
    } else {
      parts.push(Buffer.from([OBJECT]));
      for (const [k, val] of Object.entries(v)) {
        const kb = Buffer.from(k, 'utf8');
        const h = Buffer.alloc(2);
        h.writeUInt16BE(kb.length);
        parts.push(h, kb);
        enc(val);
      }
      parts.push(Buffer.from([0, 0, OBJECT_END]));
    }
  };
  values.forEach(enc);
  return Buffer.concat(parts);
}
