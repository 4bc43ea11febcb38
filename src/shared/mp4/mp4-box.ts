/**
 * ISO-BMFF (ISO/IEC 14496-12) box primitives: a box is its 32-bit size, its four-character type
 * and its payload. Writers build payloads from these and never patch sizes afterwards.
 */

export function box(type: string, ...payload: readonly Buffer[]): Buffer {
  if (type.length !== 4) throw new Error(`box type ${JSON.stringify(type)} is not four characters`);
  let size = 8;
  for (const p of payload) size += p.length;
  const head = Buffer.allocUnsafe(8);
  head.writeUInt32BE(size, 0);
  head.write(type, 4, 'latin1');
  return Buffer.concat([head, ...payload], size);
}

/** A FullBox: version (8 bits) and flags (24 bits) before the payload. */
export function fullBox(type: string, version: number, flags: number, ...payload: readonly Buffer[]): Buffer {
  const vf = Buffer.allocUnsafe(4);
  vf.writeUInt32BE(((version & 0xff) << 24) | (flags & 0xffffff), 0);
  return box(type, vf, ...payload);
}

export function u8(v: number): Buffer {
  return Buffer.from([v & 0xff]);
}

export function u16(v: number): Buffer {
  const b = Buffer.allocUnsafe(2);
  b.writeUInt16BE(v & 0xffff, 0);
  return b;
}

export function u32(v: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(v >>> 0, 0);
  return b;
}

export function u64(v: number): Buffer {
  const b = Buffer.allocUnsafe(8);
  b.writeBigUInt64BE(BigInt(Math.max(0, Math.floor(v))), 0);
  return b;
}

export function zeros(n: number): Buffer {
  return Buffer.alloc(n);
}

/** Four-character codes such as brands and handler types. */
export function fourcc(s: string): Buffer {
  if (s.length !== 4) throw new Error(`four-character code ${JSON.stringify(s)} is not four characters`);
  return Buffer.from(s, 'latin1');
}

/** The unity transformation matrix of mvhd and tkhd (16.16 and 2.30 fixed point). */
export const UNITY_MATRIX = Buffer.concat([u32(0x00010000), u32(0), u32(0), u32(0), u32(0x00010000), u32(0), u32(0), u32(0), u32(0x40000000)]);
