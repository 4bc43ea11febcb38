#!/usr/bin/env node
// npm run bench:viewport [-- --seconds 2 --width 1536 --keep]
// Viewport-adaptive delivery, measured: does an orientation-biased rendition send fewer bits than plain equirect for
// the same picture in the viewer's viewport?
//  - Source: a 360 clip made with ffmpeg's v360 from a rich test source (testsrc2 with grain, six faces of a c3x2
//    cube turned into a 2:1 equirect), kept near-lossless as the reference.
//  - Methods, each encoded with x264 at several CRFs (same preset, one rendition biased to yaw 0):
//      plain   the equirect as it is;
//      tsp     v360's truncated square pyramid facing yaw 0 (the front face at full density, the rest shrunk);
//      addroi  the equirect with a region-of-interest QP offset over the front viewport (x264 reads the ROI).
//  - For each viewing direction (yaw offsets from the rendition's own: 0 and 30 degrees, the most a viewer is off
//    with six renditions 60 degrees apart) the 90-degree viewport is rendered by v360 from the source and from each
//    decoded encode, and compared by PSNR. Bits at equal viewport quality: each method's (log bits, PSNR) curve is
//    interpolated at the PSNR plain reaches at each of its CRFs.
// Prints every point, then the saving against plain per direction and quality; the goal is >= 40 % fewer bits.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const SECONDS = arg('seconds', 2);
const WIDTH = arg('width', 1536);
const HEIGHT = WIDTH / 2;
const FPS = 12;
const KEEP = process.argv.includes('--keep');
const PRESET = process.env.PRESET || 'veryfast';
// Per method, so each curve spans plain's viewport quality: the ROI is much sharper than plain at the same CRF.
const CRFS = { plain: [22, 28, 34], tsp: [16, 22, 28], addroi: [34, 40, 46] };
const VIEW_YAWS = [0, 30];
const VIEWPORT = 480; // px, square, 90 degrees
// The pyramid's square: the same pixel count as the equirect's front half (WIDTH/2 x HEIGHT).
const TSP_SIZE = Math.round(Math.sqrt((WIDTH / 2) * HEIGHT) / 16) * 16;
// The front viewport (90 degrees each way) in the equirect, made sharper by a QP offset (x264's ROI scale: -1..1).
const ROI = `addroi=x=iw*3/8:y=ih/4:w=iw/4:h=ih/2:qoffset=-0.4`;

const work = mkdtempSync(join(tmpdir(), 'sc-bench-viewport-'));
const ff = (args) => execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

function makeSource() {
  const path = join(work, 'source.mkv');
  const faces = `testsrc2=s=${(WIDTH * 3) / 4}x${WIDTH / 2}:r=${FPS}:d=${SECONDS},noise=alls=10:allf=t,format=yuv420p`;
  ff(['-f', 'lavfi', '-i', faces, '-vf', `v360=input=c3x2:output=e:w=${WIDTH}:h=${HEIGHT}`, '-c:v', 'libx264', '-preset', 'ultrafast', '-qp', '0', path]);
  return path;
}

/** Encodes `source` through `filter` at `crf` to a raw H.264 stream; its size is the bits sent. */
function encode(source, name, filter, crf) {
  const out = join(work, `${name}-${crf}.h264`);
  ff(['-i', source, ...(filter ? ['-vf', filter] : []), '-c:v', 'libx264', '-preset', PRESET, '-crf', String(crf), '-g', String(FPS * 2), '-f', 'h264', out]);
  return { path: out, bits: statSync(out).size * 8 };
}

/** PSNR (dB, all planes) of the viewport at `yaw` rendered from `encoded` (in `projection`) against the source's. */
function viewportPsnr(source, encoded, projection, yaw) {
  const view = (input) => `v360=input=${input}:output=flat:h_fov=90:v_fov=90:yaw=${yaw}:w=${VIEWPORT}:h=${VIEWPORT}:interp=lanczos`;
  // Frame by frame: both sides numbered from 0 (a raw H.264 stream carries no timestamps of its own).
  const graph = `[0:v]setpts=N/(${FPS}*TB),${view('e')}[ref];[1:v]setpts=N/(${FPS}*TB),${view(projection)}[dist];[dist][ref]psnr`;
  const r = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'info', '-i', source, '-framerate', String(FPS), '-i', encoded, '-lavfi', graph, '-f', 'null', '-'], { encoding: 'utf8' });
  const m = /PSNR .*average:([\d.]+)/.exec(r.stderr ?? '');
  if (!m) throw new Error(`no PSNR for ${encoded}: ${(r.stderr ?? '').slice(-500)}`);
  return Number(m[1]);
}

function run() {
  const started = Date.now();
  const source = makeSource();
  const methods = [
    { name: 'plain', filter: '', projection: 'e' },
    { name: 'tsp', filter: `v360=input=e:output=tsp:w=${TSP_SIZE}:h=${TSP_SIZE}:interp=lanczos`, projection: 'tsp' },
    { name: 'addroi', filter: ROI, projection: 'e' },
  ];
  const points = [];
  for (const m of methods) {
    for (const crf of CRFS[m.name]) {
      const e = encode(source, m.name, m.filter, crf);
      for (const yaw of VIEW_YAWS) {
        const psnr = viewportPsnr(source, e.path, m.projection, yaw);
        points.push({ method: m.name, crf, yaw, kbps: e.bits / SECONDS / 1000, psnr });
        console.log(`${m.name.padEnd(7)} crf ${crf}  view yaw ${String(yaw).padStart(2)}  ${(e.bits / SECONDS / 1000).toFixed(0).padStart(6)} kbit/s  viewport PSNR ${psnr.toFixed(2)} dB`);
      }
    }
  }
  console.log(`\nsource ${WIDTH}x${HEIGHT} ${FPS} fps ${SECONDS} s (testsrc2 + grain through v360 c3x2 -> e); x264 ${PRESET}; tsp ${TSP_SIZE}x${TSP_SIZE}; ${ROI}`);
  console.log('bits at equal viewport PSNR, against plain (positive = fewer bits):');
  const results = [];
  for (const yaw of VIEW_YAWS) {
    const curve = (method) => points.filter((p) => p.method === method && p.yaw === yaw).sort((a, b) => a.psnr - b.psnr);
    for (const target of curve('plain')) {
      const line = [`  view yaw ${String(yaw).padStart(2)}, plain crf ${target.crf} (${target.psnr.toFixed(2)} dB, ${target.kbps.toFixed(0)} kbit/s):`];
      for (const m of ['tsp', 'addroi']) {
        const kbps = interpolateKbps(curve(m), target.psnr);
        const saving = kbps === undefined ? undefined : 1 - kbps / target.kbps;
        results.push({ yaw, method: m, crf: target.crf, saving });
        line.push(`${m} ${kbps === undefined ? 'out of range' : `${kbps.toFixed(0)} kbit/s (${(saving * 100).toFixed(1)} %)`}`);
      }
      console.log(line.join('  '));
    }
  }
  for (const m of ['tsp', 'addroi']) {
    const s = results.filter((r) => r.method === m && r.saving !== undefined).map((r) => r.saving);
    const mean = s.length ? s.reduce((a, b) => a + b, 0) / s.length : NaN;
    console.log(`${m}: mean saving ${(mean * 100).toFixed(1)} % over ${s.length} points (goal >= 40 %): ${mean >= 0.4 ? 'met' : 'not met'}`);
  }
  console.log(`(${((Date.now() - started) / 1000).toFixed(0)} s)`);
}

/** kbit/s at `psnr` on a curve sorted by PSNR, linear in log(bits); undefined outside the measured range. */
function interpolateKbps(curve, psnr) {
  for (let i = 1; i < curve.length; i++) {
    const a = curve[i - 1];
    const b = curve[i];
    if (psnr >= a.psnr && psnr <= b.psnr) {
      const f = b.psnr === a.psnr ? 0 : (psnr - a.psnr) / (b.psnr - a.psnr);
      return Math.exp(Math.log(a.kbps) + f * (Math.log(b.kbps) - Math.log(a.kbps)));
    }
  }
  return undefined;
}

try {
  run();
} finally {
  if (!KEEP) rmSync(work, { recursive: true, force: true });
  else console.log(`kept ${work}`);
}
