import { execFile } from 'node:child_process';
import { scError } from './errors';

export interface FfmpegInfo {
  readonly path: string;
  readonly version: string;
  readonly major: number;
}

const INSTALL_HINT = 'install it with: sudo apt-get install -y ffmpeg (Debian/Ubuntu), or set FFMPEG_PATH';

function run(bin: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(bin, ['-hide_banner', '-version'], { timeout: 10_000 }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
  });
}

/** Pure: reads the version line of `ffmpeg -version`. Distribution builds look like "5.1.9-0+deb12u1", git builds "N-1234-g...". */
export function parseFfmpegVersion(output: string): { version: string; major: number } | undefined {
  const m = /ffmpeg version (\S+)/.exec(output);
  if (!m) return undefined;
  const v = m[1].replace(/^n/, '');
  const major = /^(\d+)\./.test(v) ? Number(/^(\d+)/.exec(v)![1]) : Number.POSITIVE_INFINITY;
  return { version: v, major };
}

/** Checked at start by every program: ffmpeg (and ffprobe) >= 5 must be there. */
export async function checkFfmpeg(ffmpegPath: string, ffprobePath: string): Promise<FfmpegInfo> {
  let out: string;
  try {
    out = await run(ffmpegPath);
  } catch {
    throw scError('SC_ERR_FFMPEG_MISSING', `ffmpeg not found at "${ffmpegPath}"; ${INSTALL_HINT}`);
  }
  const parsed = parseFfmpegVersion(out);
  if (!parsed) throw scError('SC_ERR_FFMPEG_MISSING', `"${ffmpegPath}" does not look like ffmpeg; ${INSTALL_HINT}`);
  if (parsed.major < 5) {
    throw scError('SC_ERR_FFMPEG_MISSING', `ffmpeg ${parsed.version} is too old (need >= 5); ${INSTALL_HINT}`);
  }
  try {
    await run(ffprobePath);
  } catch {
    throw scError('SC_ERR_FFMPEG_MISSING', `ffprobe not found at "${ffprobePath}"; ${INSTALL_HINT}`);
  }
  return { path: ffmpegPath, ...parsed };
}
