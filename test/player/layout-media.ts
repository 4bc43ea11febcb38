// 360 test streams a person can check by looking around: a cube whose six faces are solid, distinct colours, built
// in ffmpeg v360's c3x2 face order and converted by v360 itself to each projection, so the player is checked
// against ffmpeg's own idea of every layout. Stereo frames carry a different colour set for the right eye.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runFfmpeg } from './hls-media';
import { layoutJson, type Projection, type StereoMode, type StreamLayout } from '../../src/shared/layout/stream-layout';

export type Direction = 'front' | 'back' | 'left' | 'right' | 'up' | 'down';
export type Rgb = readonly [number, number, number];

export const LEFT_EYE: Record<Direction, Rgb> = {
  front: [255, 0, 0],
  back: [0, 0, 255],
  left: [0, 255, 0],
  right: [255, 255, 0],
  up: [255, 255, 255],
  down: [255, 0, 255],
};

export const RIGHT_EYE: Record<Direction, Rgb> = {
  front: [0, 255, 255],
  back: [128, 0, 255],
  left: [0, 128, 0],
  right: [255, 128, 0],
  up: [128, 128, 128],
  down: [128, 64, 0],
};

/** Looking at the centre of each face: yaw (positive = right) and pitch (positive = up), in degrees. */
export const DIRECTIONS: Record<Direction, { yaw: number; pitch: number }> = {
  front: { yaw: 0, pitch: 0 },
  right: { yaw: 90, pitch: 0 },
  back: { yaw: 180, pitch: 0 },
  left: { yaw: -90, pitch: 0 },
  up: { yaw: 0, pitch: 90 },
  down: { yaw: 0, pitch: -90 },
};

const FACE = 128;
// v360's c3x2 with its default out_forder "rludfb": top row right, left, up; bottom row down, front, back.
const C3X2_ORDER: Direction[] = ['right', 'left', 'up', 'down', 'front', 'back'];
const CONVERT: Record<Exclude<Projection, 'flat'>, string> = {
  equirect: `v360=c3x2:e:w=${4 * FACE}:h=${2 * FACE}`,
  equirect180: `v360=c3x2:hequirect:w=${2 * FACE}:h=${2 * FACE}`,
  cubemap: 'null',
  eac: `v360=c3x2:eac:w=${3 * FACE}:h=${2 * FACE}`,
};

const SECONDS = 8;

function hex([r, g, b]: Rgb): string {
  return `0x${[r, g, b].map((c) => c.toString(16).padStart(2, '0')).join('')}`;
}

function hls(dir: string, name: string, inputs: string[], filter: string): Promise<void> {
  return runFfmpeg([
    ...inputs,
    '-filter_complex', `${filter},format=yuv420p[out]`,
    '-map', '[out]',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-b:v', '300k', '-g', '10', '-keyint_min', '10', '-sc_threshold', '0',
    '-f', 'hls', '-hls_time', '1', '-hls_playlist_type', 'vod',
    '-hls_segment_filename', join(dir, `${name}_%v_%03d.ts`),
    '-master_pl_name', `${name}.m3u8`,
    '-var_stream_map', 'v:0',
    join(dir, `${name}_%v.m3u8`),
  ]);
}

/** ffmpeg inputs and filter graph of the coloured cube in a projection (one cube per eye, stacked for stereo). */
function cubePicture(projection: Exclude<Projection, 'flat'>, stereo: StereoMode, seconds: number): { inputs: string[]; filter: string } {
  const eyes = stereo === 'mono' ? [LEFT_EYE] : [LEFT_EYE, RIGHT_EYE];
  const inputs: string[] = [];
  const chains: string[] = [];
  eyes.forEach((colours, e) => {
    const base = e * 6;
    for (const d of C3X2_ORDER) inputs.push('-f', 'lavfi', '-i', `color=c=${hex(colours[d])}:s=${FACE}x${FACE}:r=10:d=${seconds}`);
    const ins = C3X2_ORDER.map((_, i) => `[${base + i}:v]`);
    chains.push(`${ins.slice(0, 3).join('')}hstack=3[t${e}];${ins.slice(3).join('')}hstack=3[b${e}];[t${e}][b${e}]vstack,${CONVERT[projection]}[eye${e}]`);
  });
  let filter = chains.join(';');
  if (stereo === 'mono') filter += ';[eye0]null';
  else filter += `;[eye0][eye1]${stereo === 'top-bottom' ? 'vstack' : 'hstack'}`;
  return { inputs, filter };
}

/**
 * Writes `<name>.m3u8` (a master playlist), and `<name>.json` beside it when `json` is given (the contract other
 * parts of spherecast write). Returns the master's file name.
 */
export async function makeLayoutStream(
  dir: string,
  name: string,
  projection: Exclude<Projection, 'flat'>,
  stereo: StereoMode,
  json?: StreamLayout | string,
): Promise<string> {
  const { inputs, filter } = cubePicture(projection, stereo, SECONDS);
  await hls(dir, name, inputs, filter);
  if (json !== undefined) await writeFile(join(dir, `${name}.json`), typeof json === 'string' ? json : layoutJson(json));
  return `${name}.m3u8`;
}

/**
 * The mono equirect cube as an MP4 recording with a tone (what the transcoder takes), `seconds` long. Light grain
 * gives it a bitrate like a camera's: the transcoder caps every rendition at the source's bitrate, and bare solid
 * colours are a few kbit/s.
 */
export async function makeEquirectRecording(path: string, seconds: number): Promise<string> {
  const { inputs, filter } = cubePicture('equirect', 'mono', seconds);
  await runFfmpeg([
    ...inputs,
    '-f', 'lavfi', '-i', `sine=sample_rate=48000:d=${seconds}`,
    '-filter_complex', `${filter},format=yuv420p,noise=alls=6:allf=t[out]`,
    '-map', '[out]', '-map', `${inputs.length / 4}:a`,
    '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '20', '-c:a', 'aac', '-shortest', path,
  ]);
  return path;
}

/** A flat 4:3 picture: blue, with a red box in the middle. No JSON, so the player's auto rule must say flat. */
export async function makeFlatStream(dir: string, name: string): Promise<string> {
  await hls(
    dir,
    name,
    ['-f', 'lavfi', '-i', `color=c=${hex(LEFT_EYE.back)}:s=320x240:r=10:d=${SECONDS}`],
    `[0:v]drawbox=x=100:y=60:w=120:h=120:color=${hex(LEFT_EYE.front)}:t=fill`,
  );
  return `${name}.m3u8`;
}
