#!/usr/bin/env node
// npm run bench:viewport [-- --seconds 2 --width 1536 --k 8 --methods plain,addroi,offset --qoffset -0.3 --pitch 0 --abr --keep]
// Viewport-adaptive delivery, measured: does an orientation-biased rendition send fewer bits than plain equirect for
// the same picture in the viewer's viewport?
//  - Source: a 360 clip made with ffmpeg's v360 from a rich test source (testsrc2 with grain, six faces of a c3x2
//    cube turned into a 2:1 equirect), kept near-lossless as the reference.
//  - Methods, each encoded with x264 at several CRFs (same preset, one rendition biased to yaw 0):
//      plain      the equirect as it is;
//      addroi     the equirect with a region-of-interest QP offset over the band a viewer of K renditions may look
//                 at (90 + 360/K degrees of yaw, the 90 degree pitch band);
//      offset     an offset equirect (v360 h_offset, the projection idea of Meta's offset cubemaps): every
//                 direction d of the picture shows the scene at normalize(d + o), so the side o points at gets
//                 (1+|o|)x the angular pixel density and the far side (1-|o|)x; the picture is made smaller by
//                 1/(1+|o|) so the viewed side keeps plain's density with fewer pixels;
//      offset+roi the offset equirect plus addroi over its magnified side.
//    (v360's truncated square pyramid `tsp` was measured by an earlier version: it topped out near 31 dB at 768x768,
//    the loss of its second resampling, as the offset equirect does here.)
//  - Viewing directions: 0 to 180/K degrees off the rendition's yaw (the most a viewer is off with K renditions),
//    at pitch 0. The 90 degree viewport is rendered the same way from the source and from each decoded encode (each
//    picture upscaled by lanczos, then sampled by a remap whose maps invert the method's projection), and compared
//    by PSNR. Bits at equal viewport quality: each method's (log bits, mean viewport PSNR over the directions) curve
//    is interpolated at the PSNR plain reaches at each of its CRFs.
// Prints every point, then the saving against plain per direction and quality; the goal is >= 40 % fewer bits.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
};
const SECONDS = Number(arg('seconds', 2));
const WIDTH = Number(arg('width', 1536));
const HEIGHT = WIDTH / 2;
const K = Number(arg('k', 8));
const FPS = 12;
const KEEP = process.argv.includes('--keep');
const PRESET = process.env.PRESET || 'veryfast';
const METHODS = arg('methods', 'plain,addroi,offset').split(',');
/** The offset's length |o| (0..1): the viewed side gets (1+|o|)x the density, the far side (1-|o|)x. */
const OFFSET = Number(arg('offset', 0.5));
/** addroi's quantiser offset (x264 scales -1..1 to -51..51 QP). */
const QOFFSET = Number(arg('qoffset', -0.3));
/**
 * --abr: rate control as the transcoder runs it (a target bitrate, maxrate 1.1x, bufsize 2x) instead of CRF; the
 * lists are then kbit/s. The transcoder gives each viewport rendition VIEWPORT_BITRATE_SHARE of its rung's bitrate.
 */
const ABR = process.argv.includes('--abr');
const ABR_RATES = {
  plain: (arg('plain-rates', '600,2000,6000')).split(',').map(Number),
  addroi: (arg('roi-rates', '150,300,600,1200,2400')).split(',').map(Number),
};
// Per method, so each curve spans plain's viewport quality.
const CRFS = ABR ? ABR_RATES : {
  plain: [22, 28, 34],
  addroi: (arg('roi-crfs', '34,40,46,51')).split(',').map(Number),
  offset: (arg('offset-crfs', '22,28,34')).split(',').map(Number),
  'offset+roi': (arg('offset-roi-crfs', '28,34,40')).split(',').map(Number),
};
const VIEW_YAWS = [0, 90 / K, 180 / K];
/** Pitch of every view (degrees, up positive): 0 looks at the horizon. */
const VIEW_PITCH = Number(arg('pitch', 0));
const VIEWPORT = 480; // px, square, 90 degrees
/** Each picture is upscaled this much (lanczos) before the nearest-neighbour remap samples it. */
const UPSCALE = Number(arg('upscale', 3));

const work = mkdtempSync(join(tmpdir(), 'sc-bench-viewport-'));
const ff = (args) => execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const even = (n) => Math.round(n / 2) * 2;

function makeSource() {
  const path = join(work, 'source.mkv');
  const faces = `testsrc2=s=${(WIDTH * 3) / 4}x${WIDTH / 2}:r=${FPS}:d=${SECONDS},noise=alls=10:allf=t,format=yuv420p`;
  ff(['-f', 'lavfi', '-i', faces, '-vf', `v360=input=c3x2:output=e:w=${WIDTH}:h=${HEIGHT}`, '-c:v', 'libx264', '-preset', 'ultrafast', '-qp', '0', path]);
  return path;
}

/** addroi over the columns [x0, x0 + w) of a `width`-wide equirect, wrapping round its edge. */
function roiBand(width, height, centreX, w, qoffset) {
  const x0 = Math.round(centreX - w / 2);
  const parts = [];
  const add = (x, wd) => parts.push(`addroi=x=${x}:y=${Math.round(height / 4)}:w=${wd}:h=${Math.round(height / 2)}:qoffset=${qoffset}`);
  const start = ((x0 % width) + width) % width;
  const w1 = Math.min(w, width - start);
  add(start, w1);
  if (w1 < w) add(0, w - w1);
  return parts.join(',');
}

function methodOf(name) {
  const band = (90 + 360 / K) / 360; // share of the width a viewer may look at
  if (name === 'plain') return { name, filter: '', frame: { width: WIDTH, height: HEIGHT, offset: 0, yaw: 0 } };
  if (name === 'addroi') return { name, filter: roiBand(WIDTH, HEIGHT, WIDTH / 2, Math.round(WIDTH * band), QOFFSET), frame: { width: WIDTH, height: HEIGHT, offset: 0, yaw: 0 } };
  const w = even(WIDTH / (1 + OFFSET));
  const h = w / 2;
  // The offset points along +x, i.e. 90 degrees right of the picture's centre; yaw -90 turns it to the scene's yaw 0.
  const v360 = `v360=input=e:output=e:h_offset=${OFFSET}:yaw=-90:w=${w}:h=${h}:interp=lanczos`;
  const frame = { width: w, height: h, offset: OFFSET, yaw: -90 };
  if (name === 'offset') return { name, filter: v360, frame };
  // On the offset picture the viewed side is magnified: a band of the same scene angle is (1+|o|)x as wide there.
  return { name, filter: `${v360},${roiBand(w, h, (3 * w) / 4, Math.round(w * band * (1 + OFFSET)), QOFFSET)}`, frame };
}

// --- the viewport renderer: maps from viewport pixels to picture pixels ---

/** Unit vector of longitude `lon` (right of centre positive) and latitude `lat` (down positive), radians. */
const vec = (lon, lat) => [Math.cos(lat) * Math.sin(lon), Math.sin(lat), Math.cos(lat) * Math.cos(lon)];

/**
 * Where the scene direction `s` is in a picture of `frame`: the picture's direction d with normalize(d + o) = R(s),
 * o = (offset, 0, 0), R turning the scene by -yaw: d = t p - o with |d| = 1, t = p.o + sqrt((p.o)^2 - |o|^2 + 1).
 */
function pictureLonLat(s, frame) {
  const lon = Math.atan2(s[0], s[2]) - (frame.yaw * Math.PI) / 180;
  const lat = Math.asin(Math.max(-1, Math.min(1, s[1])));
  const p = vec(lon, lat);
  const a = frame.offset;
  const po = p[0] * a;
  const t = po + Math.sqrt(po * po - a * a + 1);
  const d = [t * p[0] - a, t * p[1], t * p[2]];
  const n = Math.hypot(d[0], d[1], d[2]);
  return [Math.atan2(d[0], d[2]), Math.asin(d[1] / n)];
}

/** 16-bit PGM maps for remap: viewport pixel -> pixel of the picture upscaled UPSCALE times. */
function writeMaps(frame, viewYaw, tag) {
  const W = frame.width * UPSCALE;
  const H = frame.height * UPSCALE;
  const xs = Buffer.alloc(VIEWPORT * VIEWPORT * 2);
  const ys = Buffer.alloc(VIEWPORT * VIEWPORT * 2);
  const yaw = (viewYaw * Math.PI) / 180;
  const pitch = (VIEW_PITCH * Math.PI) / 180;
  for (let j = 0; j < VIEWPORT; j++) {
    for (let i = 0; i < VIEWPORT; i++) {
      const x = (2 * (i + 0.5)) / VIEWPORT - 1;
      const y0 = (2 * (j + 0.5)) / VIEWPORT - 1;
      // The flat viewport's direction (x right, y down, z ahead), tilted up by the view's pitch, then turned to its yaw.
      const y = y0 * Math.cos(pitch) - Math.sin(pitch);
      const z = y0 * Math.sin(pitch) + Math.cos(pitch);
      const n = Math.hypot(x, y, z);
      const lon = Math.atan2(x, z) + yaw;
      const r = Math.hypot(x, z) / n;
      const s = [r * Math.sin(lon), y / n, r * Math.cos(lon)];
      const [plon, plat] = pictureLonLat(s, frame);
      const u = ((plon / Math.PI + 1) / 2) * W + SHIFT * UPSCALE;
      const v = ((plat / (Math.PI / 2) + 1) / 2) * H + SHIFT * UPSCALE;
      const k = (j * VIEWPORT + i) * 2;
      xs.writeUInt16BE(((Math.floor(u) % W) + W) % W, k);
      ys.writeUInt16BE(Math.max(0, Math.min(H - 1, Math.floor(v))), k);
    }
  }
  const head = Buffer.from(`P5\n${VIEWPORT} ${VIEWPORT}\n65535\n`);
  const xp = join(work, `${tag}-x.pgm`);
  const yp = join(work, `${tag}-y.pgm`);
  writeFileSync(xp, Buffer.concat([head, xs]));
  writeFileSync(yp, Buffer.concat([head, ys]));
  return [xp, yp];
}
/** Half-pixel convention of v360's equirect (its pixel i is centred at longitude (2i/W - 1) pi). */
const SHIFT = Number(arg('shift', 0.5));

/** Viewport PSNR (dB, all planes) per view yaw of `encoded` (a picture of `frame`) against the source's. */
function viewportPsnrs(source, encoded, frame) {
  const identity = { width: WIDTH, height: HEIGHT, offset: 0, yaw: 0 };
  const inputs = ['-i', source, '-framerate', String(FPS), '-i', encoded];
  const graph = [];
  const up = (f) => `scale=${f.width * UPSCALE}:${f.height * UPSCALE}:flags=lanczos,format=yuv444p`;
  graph.push(`[0:v]setpts=N/(${FPS}*TB),${up(identity)},split=${VIEW_YAWS.length}${VIEW_YAWS.map((_, i) => `[s${i}]`).join('')}`);
  graph.push(`[1:v]setpts=N/(${FPS}*TB),${up(frame)},split=${VIEW_YAWS.length}${VIEW_YAWS.map((_, i) => `[e${i}]`).join('')}`);
  let n = 2;
  VIEW_YAWS.forEach((yaw, i) => {
    const [rx, ry] = writeMaps(identity, yaw, `ref-${i}`);
    const [mx, my] = writeMaps(frame, yaw, `m-${i}`);
    inputs.push('-i', rx, '-i', ry, '-i', mx, '-i', my);
    graph.push(`[s${i}][${n}:v][${n + 1}:v]remap[ref${i}]`);
    graph.push(`[e${i}][${n + 2}:v][${n + 3}:v]remap[dist${i}]`);
    graph.push(`[dist${i}][ref${i}]psnr`);
    n += 4;
  });
  const r = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'info', ...inputs, '-lavfi', graph.join(';'), '-f', 'null', '-'], { encoding: 'utf8' });
  const found = [...(r.stderr ?? '').matchAll(/Parsed_psnr_(\d+).*PSNR .*average:([\d.]+|inf)/g)].sort((a, b) => Number(a[1]) - Number(b[1])).map((m) => (m[2] === 'inf' ? Infinity : Number(m[2])));
  if (found.length !== VIEW_YAWS.length) throw new Error(`no PSNR for ${encoded}: ${(r.stderr ?? '').slice(-800)}`);
  return found;
}

/** Encodes `source` through `filter` at `crf` (with --abr: at `crf` kbit/s) to a raw H.264 stream; its size is the bits sent. */
function encode(source, name, filter, crf) {
  const out = join(work, `${name.replace('+', '-')}-${crf}.h264`);
  const rate = ABR ? ['-b:v', `${crf}k`, '-maxrate', `${Math.round(crf * 1.1)}k`, '-bufsize', `${crf * 2}k`] : ['-crf', String(crf)];
  ff(['-i', source, ...(filter ? ['-vf', filter] : []), '-c:v', 'libx264', '-preset', PRESET, ...rate, '-g', String(FPS * 2), '-f', 'h264', out]);
  return { path: out, bits: statSync(out).size * 8 };
}

function run() {
  const started = Date.now();
  const source = makeSource();
  if (process.argv.includes('--check')) {
    // The renderer against itself: the offset picture made losslessly must show the source's viewport.
    for (const name of ['plain', 'offset']) {
      const m = methodOf(name);
      const out = join(work, `check-${name}.mkv`);
      ff(['-i', source, ...(m.filter ? ['-vf', m.filter] : []), '-c:v', 'libx264', '-qp', '0', '-preset', 'ultrafast', '-f', 'h264', out]);
      console.log(`check ${name}: lossless viewport PSNR ${viewportPsnrs(source, out, m.frame).map((p) => p.toFixed(2)).join(' / ')} dB`);
    }
    return;
  }
  const points = [];
  for (const name of METHODS) {
    const m = methodOf(name);
    for (const crf of CRFS[name]) {
      const e = encode(source, name, m.filter, crf);
      const psnrs = viewportPsnrs(source, e.path, m.frame);
      const kbps = e.bits / SECONDS / 1000;
      const mean = psnrs.reduce((a, b) => a + b, 0) / psnrs.length;
      points.push({ method: name, crf, kbps, psnrs, mean });
      console.log(`${name.padEnd(10)} ${ABR ? 'target' : 'crf'} ${crf}  ${kbps.toFixed(0).padStart(6)} kbit/s  viewport PSNR ${VIEW_YAWS.map((y, i) => `${y.toFixed(1)}°: ${psnrs[i].toFixed(2)}`).join('  ')}  mean ${mean.toFixed(2)} dB`);
    }
  }
  console.log(`\nsource ${WIDTH}x${HEIGHT} ${FPS} fps ${SECONDS} s (testsrc2 + grain through v360 c3x2 -> e); x264 ${PRESET}; K = ${K} renditions (views 0-${(180 / K).toFixed(1)}° off, pitch ${VIEW_PITCH}°); offset ${OFFSET} (picture ${methodOf('offset').frame.width}x${methodOf('offset').frame.height}); addroi qoffset ${QOFFSET} over ${(90 + 360 / K).toFixed(1)}° x 90°`);
  console.log('bits at equal viewport PSNR, against plain (positive = fewer bits):');
  const others = METHODS.filter((m) => m !== 'plain');
  const results = [];
  const curveOf = (method, key) => points.filter((p) => p.method === method).map((p) => ({ kbps: p.kbps, psnr: key(p) })).sort((a, b) => a.psnr - b.psnr);
  const keys = [...VIEW_YAWS.map((y, i) => [`view ${y.toFixed(1)}°`, (p) => p.psnrs[i]]), ['mean of views', (p) => p.mean]];
  for (const [label, key] of keys) {
    for (const target of curveOf('plain', key)) {
      const line = [`  ${label.padEnd(13)} plain ${target.psnr.toFixed(2)} dB, ${target.kbps.toFixed(0)} kbit/s:`];
      for (const m of others) {
        const kbps = interpolateKbps(curveOf(m, key), target.psnr);
        const saving = kbps === undefined ? undefined : 1 - kbps / target.kbps;
        if (label === 'mean of views') results.push({ method: m, saving });
        line.push(`${m} ${kbps === undefined ? 'out of range' : `${kbps.toFixed(0)} kbit/s (${(saving * 100).toFixed(1)} %)`}`);
      }
      console.log(line.join('  '));
    }
  }
  for (const m of others) {
    const s = results.filter((r) => r.method === m && r.saving !== undefined).map((r) => r.saving);
    const mean = s.length ? s.reduce((a, b) => a + b, 0) / s.length : NaN;
    console.log(`${m}: mean saving at equal mean viewport PSNR ${(mean * 100).toFixed(1)} % over ${s.length} points (goal >= 40 %): ${mean >= 0.4 ? 'met' : 'not met'}`);
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
