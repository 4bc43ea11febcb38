import { constants } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { SpherecastError } from '../shared/errors';

/**
 * Which containers the transcoder reads, decided from the source's first bytes rather than by
 * ffmpeg's own probing. ffmpeg's probe picks a demuxer by content whatever the file is called, and
 * some demuxers open other files: an `upload.mp4` that is an HLS playlist or a concat list makes
 * ffmpeg read (and us publish) any local file it names, a live playlist never ends, and avi can
 * carry an embedded playlist in a GAB2 subtitle. Only demuxers that read nothing but their own
 * input are allowed, and ffmpeg/ffprobe are then told which one to use (`-f`).
 */
export interface SourceContainer {
  /** What people call it (for logs and errors). */
  readonly name: string;
  /** The ffmpeg demuxer forced with `-f`. */
  readonly demuxer: string;
}

export const MP4: SourceContainer = { name: 'mp4/mov', demuxer: 'mov' };
export const MATROSKA: SourceContainer = { name: 'matroska/webm', demuxer: 'matroska' };
export const MPEGTS: SourceContainer = { name: 'mpeg-ts', demuxer: 'mpegts' };
export const FLV: SourceContainer = { name: 'flv', demuxer: 'flv' };

/** Bytes read to decide: enough for three 192-byte M2TS packets and any ISO BMFF leading box header. */
export const SNIFF_BYTES = 1024;

/** ISO BMFF / QuickTime top-level box types a file may start with. */
const MOV_LEADING_BOXES = new Set(['ftyp', 'moov', 'mdat', 'free', 'skip', 'wide', 'pnot', 'styp']);

function mpegTsSync(head: Buffer, offset: number, packet: number): boolean {
  if (head.length < offset + 2 * packet + 1) return false;
  return head[offset] === 0x47 && head[offset + packet] === 0x47 && head[offset + 2 * packet] === 0x47;
}

/** The container of a file from its first bytes, or undefined when it is none of the allowed ones. Pure. */
export function sniffContainer(head: Buffer): SourceContainer | undefined {
  if (head.length >= 12 && MOV_LEADING_BOXES.has(head.toString('latin1', 4, 8))) {
    const size = head.readUInt32BE(0);
    // 0 = to end of file, 1 = 64-bit size follows; otherwise at least the 8-byte header.
    if (size === 0 || size === 1 || size >= 8) return MP4;
  }
  if (head.length >= 4 && head.readUInt32BE(0) === 0x1a45dfa3) return MATROSKA;
  if (head.length >= 9 && head.toString('latin1', 0, 3) === 'FLV' && head[3] === 1) return FLV;
  // 188-byte packets (.ts) or 192-byte ones with a 4-byte timestamp prefix (.m2ts, .mts).
  if (mpegTsSync(head, 0, 188) || mpegTsSync(head, 4, 192)) return MPEGTS;
  return undefined;
}

/** What a refused file looks like, for the error: a playlist, a text file, or unknown bytes. Pure. */
export function describeUnknown(head: Buffer): string {
  const text = head.toString('latin1', 0, Math.min(head.length, 64)).trimStart();
  if (text.startsWith('#EXTM3U')) return 'an HLS playlist';
  if (text.startsWith('ffconcat') || /^file\s/.test(text)) return 'a concat list';
  if (text.startsWith('<')) return 'an XML/HTML document (DASH manifest?)';
  if (head.length > 0 && [...head.subarray(0, 64)].every((b) => b === 9 || b === 10 || b === 13 || (b >= 32 && b < 127))) return 'a text file';
  return `unknown bytes (${head.subarray(0, 8).toString('hex')})`;
}

/**
 * Reads at most SNIFF_BYTES of `path` and returns its allowed container. Anything but a regular
 * file (a FIFO or device would block or never end) and anything not in the allow-list is an
 * SC_ERR_MEDIA_REFUSED naming `label`.
 */
export async function detectSourceContainer(path: string, label: string): Promise<SourceContainer> {
  const unreadable = (err: NodeJS.ErrnoException): never => {
    throw new SpherecastError('SC_ERR_MEDIA', [`${label}: ${err.code ?? err.message}`]);
  };
  // stat before open: opening a FIFO with no writer blocks a libuv thread for good.
  const st = await stat(path).catch(unreadable);
  if (!st.isFile()) throw new SpherecastError('SC_ERR_MEDIA_REFUSED', [label, 'not a regular file']);
  if (st.size === 0) throw new SpherecastError('SC_ERR_MEDIA', [`${label}: zero-byte file`]);
  const fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK).catch(unreadable);
  let head: Buffer;
  try {
    const buf = Buffer.alloc(Math.min(SNIFF_BYTES, st.size));
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    head = buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
  const container = sniffContainer(head);
  if (!container) {
    throw new SpherecastError('SC_ERR_MEDIA_REFUSED', [label, `its content is ${describeUnknown(head)}, not one of the allowed containers (mp4/mov, matroska/webm, mpeg-ts, flv)`]);
  }
  return container;
}
