import { createHmac, randomBytes } from 'node:crypto';
import { scError } from '../../shared/errors';

/**
 * The RTMP handshake, server side: C0+C1 in, S0+S1+S2 out, then C2 in. Encoders either use the
 * simple handshake of the RTMP specification (5.2: S2 echoes C1) or the digest ("complex") one of
 * Flash Player, where C1 carries an HMAC-SHA256 digest at an offset that depends on the scheme and
 * S1/S2 must carry the server's; some encoders refuse a server that answers the digest handshake
 * with the simple one.
 */
export const HANDSHAKE_SIZE = 1536;
export const RTMP_VERSION = 3;
const DIGEST = 32;

const FMS_KEY = Buffer.from('Genuine Adobe Flash Media Server 001', 'latin1');
const FP_KEY = Buffer.from('Genuine Adobe Flash Player 001', 'latin1');
const KEY_TAIL = Buffer.from('f0eec24a8068bee82e00d0d1029e7e576eec5d2d29806fab93b8e636cfeb31ae', 'hex');
const FMS_KEY_FULL = Buffer.concat([FMS_KEY, KEY_TAIL]);

/** Where the digest sits in a 1536-byte handshake packet, for each scheme. */
function digestOffset(packet: Buffer, scheme: 0 | 1): number {
  const base = scheme === 0 ? 8 : 772;
  const sum = packet[base]! + packet[base + 1]! + packet[base + 2]! + packet[base + 3]!;
  return (sum % 728) + base + 4;
}

function hmac(key: Buffer, ...data: Buffer[]): Buffer {
  const h = createHmac('sha256', key);
  for (const d of data) h.update(d);
  return h.digest();
}

/** The digest over a packet without its digest bytes. */
function packetDigest(packet: Buffer, offset: number, key: Buffer): Buffer {
  return hmac(key, packet.subarray(0, offset), packet.subarray(offset + DIGEST));
}

/** Pure: the digest scheme C1 uses (0: digest after byte 8, 1: after byte 772), or undefined for the simple handshake. */
export function digestScheme(c1: Buffer): 0 | 1 | undefined {
  for (const scheme of [1, 0] as const) {
    const off = digestOffset(c1, scheme);
    if (packetDigest(c1, off, FP_KEY).equals(c1.subarray(off, off + DIGEST))) return scheme;
  }
  return undefined;
}

/** S0+S1+S2 for a C1 (3073 bytes). */
export function serverHandshake(c1: Buffer, random: (n: number) => Buffer = randomBytes): Buffer {
  if (c1.length !== HANDSHAKE_SIZE) throw scError('SC_ERR_RTMP_PROTOCOL', `C1 must be ${HANDSHAKE_SIZE} bytes`);
  const s0 = Buffer.from([RTMP_VERSION]);
  const scheme = digestScheme(c1);
  if (scheme === undefined) {
    // Simple handshake: S1 is our own time and random bytes, S2 echoes C1.
    const s1 = Buffer.concat([Buffer.alloc(8), random(HANDSHAKE_SIZE - 8)]);
    return Buffer.concat([s0, s1, c1]);
  }
  const s1 = Buffer.concat([Buffer.from([0, 0, 0, 0, 1, 2, 3, 4]), random(HANDSHAKE_SIZE - 8)]);
  const s1Off = digestOffset(s1, scheme);
  packetDigest(s1, s1Off, FMS_KEY).copy(s1, s1Off);
  const c1Off = digestOffset(c1, scheme);
  const key = hmac(FMS_KEY_FULL, c1.subarray(c1Off, c1Off + DIGEST));
  const s2 = random(HANDSHAKE_SIZE);
  hmac(key, s2.subarray(0, HANDSHAKE_SIZE - DIGEST)).copy(s2, HANDSHAKE_SIZE - DIGEST);
  return Buffer.concat([s0, s1, s2]);
}

/** Pure check for clients and tests: does S1 carry a valid server digest in the given scheme? */
export function validServerDigest(s1: Buffer, scheme: 0 | 1): boolean {
  const off = digestOffset(s1, scheme);
  return packetDigest(s1, off, FMS_KEY).equals(s1.subarray(off, off + DIGEST));
}

/** A client C1 with a Flash Player digest in the given scheme (for tests and test clients). */
export function digestC1(scheme: 0 | 1, random: (n: number) => Buffer = randomBytes): Buffer {
  const c1 = Buffer.concat([Buffer.from([0, 0, 0, 0, 9, 0, 124, 2]), random(HANDSHAKE_SIZE - 8)]);
  const off = digestOffset(c1, scheme);
  packetDigest(c1, off, FP_KEY).copy(c1, off);
  return c1;
}

/**
 * Incremental server handshake. `push` returns the reply to send (once, after C0+C1), and
 * `done` with any bytes that followed C2 (the first chunks) once C2 is in.
 */
export class ServerHandshake {
  private readonly buf = Buffer.alloc(1 + 2 * HANDSHAKE_SIZE);
  private have = 0;

  push(data: Buffer): { reply?: Buffer; done: boolean; rest: Buffer } {
    const need = this.buf.length - this.have;
    const n = Math.min(need, data.length);
    const before = this.have;
    data.copy(this.buf, this.have, 0, n);
    this.have += n;
    if (before === 0 && this.buf[0] !== RTMP_VERSION) {
      throw scError('SC_ERR_RTMP_PROTOCOL', `handshake version ${this.buf[0]} (only ${RTMP_VERSION}, unencrypted RTMP, is served)`);
    }
    const c1End = 1 + HANDSHAKE_SIZE;
    const reply = before < c1End && this.have >= c1End ? serverHandshake(Buffer.from(this.buf.subarray(1, c1End))) : undefined;
    const done = this.have === this.buf.length;
    // C2 is not checked: encoders fill it differently and nothing depends on it.
    return { ...(reply ? { reply } : {}), done, rest: data.subarray(n) };
  }
}
