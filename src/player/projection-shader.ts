/// <reference lib="dom" />
// One A-Frame shader for every spherical projection: each fragment takes its viewing direction (from the camera,
// in world space, so the mesh's shape and rotation do not matter) and looks up where ffmpeg's v360 filter put that
// direction in the frame. The formulas follow libavfilter/vf_v360.c (ffmpeg 5.1), whose frame of reference is
// x right, y down, z forward; three.js looks down -z with y up, hence v = (x, -y, -z).
//   equirect:    longitude across the width (middle = front), latitude down the height (top = up).
//   equirect180: v360 `hequirect`, the front half only; behind the viewer is black.
//   cubemap:     v360 `c3x2` with its default out_forder "rludfb" and out_frot "000000": top row right, left, up;
//                bottom row down, front, back; each face unrotated (cube_to_xyz).
//   eac:         v360 `eac` (YouTube's equi-angular cubemap): top row left, front, right; bottom row down, back,
//                up with the bottom faces turned (eac_to_xyz), each face warped by atan, 2-pixel pads at the
//                frame's edges and between the rows.
// Colour: the texture is sampled and written as-is (no colour space conversion either way), so a pixel on screen
// has the value the decoder produced.
import type { AFrameGlobal } from './aframe-global';
import type { Projection } from '../shared/layout/stream-layout';

export const PROJECTION_SHADER = 'sc-projection';

/** The shader's `projection` uniform; flat video does not use this shader. */
export const PROJECTION_CODE: Record<Exclude<Projection, 'flat'>, number> = { equirect: 0, equirect180: 1, cubemap: 2, eac: 3 };

const VERTEX = /* glsl */ `
varying vec3 vWorld;
void main() {
  vec4 world = modelMatrix * vec4(position, 1.0);
  vWorld = world.xyz;
  gl_Position = projectionMatrix * viewMatrix * world;
}
`;

const FRAGMENT = /* glsl */ `
#define PI 3.141592653589793
uniform sampler2D src;
uniform int projection;
// This eye's part of the frame in texture coordinates (v = 1 at the top): uv = offset + st * repeat.
uniform vec2 repeat;
uniform vec2 offset;
// Size in pixels of this eye's picture (for the EAC pads and for keeping lookups inside a cube face).
uniform vec2 eyeSize;
varying vec3 vWorld;

// Position inside a face (0..1, from its top left) to the frame, clamped half a texel inside the face so linear
// filtering never blends in the neighbouring face.
vec2 cell(vec2 index, vec2 cells, vec2 local) {
  vec2 px = 0.5 / eyeSize;
  vec2 lo = index / cells + px;
  vec2 hi = (index + 1.0) / cells - px;
  return clamp((index + local) / cells, lo, hi);
}

// Cube face of direction v (v360 axes) as (face column, face row) in a 3x2 frame, and the face coordinates
// uf, vf in -1..1, for the face order of the given projection.
void cubeFace(vec3 v, bool eac, out vec2 index, out vec2 f) {
  vec3 a = abs(v);
  if (a.x >= a.y && a.x >= a.z) {
    if (v.x > 0.0) { index = eac ? vec2(2.0, 0.0) : vec2(0.0, 0.0); f = vec2(-v.z, v.y) / a.x; }   // right
    else           { index = eac ? vec2(0.0, 0.0) : vec2(1.0, 0.0); f = vec2(v.z, v.y) / a.x; }    // left
  } else if (a.y >= a.z) {
    if (v.y < 0.0) {                                                                                 // up
      index = vec2(2.0, eac ? 1.0 : 0.0);
      f = eac ? vec2(v.z, -v.x) / a.y : vec2(v.x, v.z) / a.y;
    } else {                                                                                         // down
      index = vec2(0.0, 1.0);
      f = eac ? vec2(-v.z, -v.x) / a.y : vec2(v.x, -v.z) / a.y;
    }
  } else {
    if (v.z > 0.0) { index = vec2(1.0, eac ? 0.0 : 1.0); f = vec2(v.x, v.y) / a.z; }                 // front
    else {                                                                                           // back
      index = vec2(eac ? 1.0 : 2.0, 1.0);
      f = eac ? vec2(-v.y, -v.x) / a.z : vec2(-v.x, v.y) / a.z;
    }
  }
}

void main() {
  vec3 d = normalize(vWorld - cameraPosition);
  vec3 v = vec3(d.x, -d.y, -d.z);
  vec2 st; // position in this eye's picture, from its top left
  if (projection == 0) {
    st = vec2(0.5 + atan(v.x, v.z) / (2.0 * PI), 0.5 + asin(clamp(v.y, -1.0, 1.0)) / PI);
  } else if (projection == 1) {
    // (A little slack: straight up or down lies on the edge of the half sphere, and belongs to the picture.)
    if (v.z < -1e-3) { gl_FragColor = vec4(0.0, 0.0, 0.0, 1.0); return; }
    st = vec2(0.5 + atan(v.x, v.z) / PI, 0.5 + asin(clamp(v.y, -1.0, 1.0)) / PI);
  } else {
    vec2 index;
    vec2 f;
    cubeFace(v, projection == 3, index, f);
    if (projection == 2) {
      st = cell(index, vec2(3.0, 2.0), (f + 1.0) * 0.5);
    } else {
      vec2 local = atan(f) * (2.0 / PI) + 0.5;
      vec2 pad = 2.0 / eyeSize;
      vec2 inFace = clamp(local, 0.5 / eyeSize * vec2(3.0, 2.0), 1.0 - 0.5 / eyeSize * vec2(3.0, 2.0));
      st = vec2((inFace.x + index.x) * (1.0 - 2.0 * pad.x) / 3.0 + pad.x,
                inFace.y * (0.5 - 2.0 * pad.y) + pad.y + 0.5 * index.y);
    }
  }
  // Never sample across into the other eye's half.
  st = clamp(st, 0.5 / eyeSize, 1.0 - 0.5 / eyeSize);
  gl_FragColor = texture2D(src, offset + vec2(st.x, 1.0 - st.y) * repeat);
}
`;

export function registerProjectionShader(AFRAME: AFrameGlobal): void {
  if (AFRAME.shaders[PROJECTION_SHADER]) return;
  AFRAME.registerShader(PROJECTION_SHADER, {
    schema: {
      src: { type: 'map', is: 'uniform' },
      projection: { type: 'int', is: 'uniform', default: 0 },
      repeat: { type: 'vec2', is: 'uniform', default: { x: 1, y: 1 } },
      offset: { type: 'vec2', is: 'uniform', default: { x: 0, y: 0 } },
      eyeSize: { type: 'vec2', is: 'uniform', default: { x: 1920, y: 960 } },
    },
    vertexShader: VERTEX,
    fragmentShader: FRAGMENT,
  });
}
