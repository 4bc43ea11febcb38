/// <reference lib="dom" />
// Builds the A-Frame scene that shows the video: a sphere around the viewer (360) or a screen in front (flat),
// one mesh per eye for stereo video. Eyes are split with three.js layers: in WebXR, three's left eye camera sees
// layers 0 and 1, the right eye 0 and 2; the ordinary (non-VR) camera is given layer 1 so it shows the left eye.
import type { AFrameGlobal } from './aframe-global';
import type { Projection, StereoLayout } from './player-options';
import { eyeAspect, materialWindow, textureWindow, type Eye } from './stereo-layout';

const SPHERE_RADIUS = 100;
const EYE_HEIGHT = 1.6;
const SCREEN_HEIGHT = 2;

export interface SceneOptions {
  projection: Projection;
  stereo: StereoLayout;
  video: HTMLVideoElement;
}

export function registerSceneComponents(AFRAME: AFrameGlobal): void {
  if (AFRAME.components['sc-eye']) return;

  AFRAME.registerComponent('sc-eye', {
    schema: { eye: { default: 'left', oneOf: ['left', 'right'] } },
    init() {
      const apply = (): void => {
        const mesh = this.el.getObject3D('mesh');
        if (mesh) mesh.layers.set(this.data.eye === 'right' ? 2 : 1);
      };
      this.el.addEventListener('object3dset', apply);
      apply();
    },
  });

  AFRAME.registerComponent('sc-left-eye-camera', {
    init() {
      const apply = (): void => this.el.getObject3D('camera')?.layers.enable(1);
      this.el.addEventListener('object3dset', apply);
      apply();
    },
  });

  // Sizes and places the flat screen so the whole picture fits the window at its own aspect ratio.
  AFRAME.registerComponent('sc-flat-screen', {
    schema: { layout: { default: 'mono' } },
    init() {
      const video = document.getElementById('sc-video') as HTMLVideoElement | null;
      const fit = (): void => {
        const aspect = eyeAspect(this.data.layout as StereoLayout, video?.videoWidth ?? 0, video?.videoHeight ?? 0);
        const width = SCREEN_HEIGHT * aspect;
        const halfFov = (80 / 2) * (Math.PI / 180); // A-Frame camera default fov
        const viewAspect = window.innerWidth / Math.max(1, window.innerHeight);
        const distance = 1.04 * Math.max(SCREEN_HEIGHT / 2 / Math.tan(halfFov), width / 2 / (Math.tan(halfFov) * viewAspect));
        this.el.setAttribute('geometry', { primitive: 'plane', width, height: SCREEN_HEIGHT });
        this.el.setAttribute('position', { x: 0, y: EYE_HEIGHT, z: -distance });
      };
      video?.addEventListener('loadedmetadata', fit);
      video?.addEventListener('resize', fit);
      window.addEventListener('resize', fit);
      fit();
    },
  });
}

function eyeEntity(opts: SceneOptions, eye: Eye | 'both'): HTMLElement {
  const el = document.createElement('a-entity');
  const window_ = textureWindow(opts.stereo, eye === 'both' ? 'left' : eye);
  if (opts.projection === 'flat') {
    el.setAttribute('geometry', `primitive: plane; width: ${SCREEN_HEIGHT * (16 / 9)}; height: ${SCREEN_HEIGHT}`);
    el.setAttribute('material', `shader: flat; side: front; minFilter: linear; src: #${opts.video.id}; ${materialWindow(window_)}`);
    el.setAttribute('sc-flat-screen', `layout: ${opts.stereo}`);
  } else {
    el.setAttribute('geometry', `primitive: sphere; radius: ${SPHERE_RADIUS}; segmentsWidth: 64; segmentsHeight: 32`);
    el.setAttribute('material', `shader: flat; side: back; minFilter: linear; src: #${opts.video.id}; ${materialWindow(window_)}`);
    // Mirror so the inside reads correctly, then turn the middle of the equirectangular frame to face the viewer.
    el.setAttribute('scale', '-1 1 1');
    el.setAttribute('rotation', '0 -90 0');
  }
  // (minFilter linear: no mipmaps, which video textures cannot have and would only cost time per frame.)
  if (eye !== 'both') el.setAttribute('sc-eye', `eye: ${eye}`);
  el.classList.add('sc-video-surface');
  return el;
}

export function buildScene(opts: SceneOptions): HTMLElement {
  const scene = document.createElement('a-scene');
  scene.setAttribute('loading-screen', 'enabled: false');
  scene.setAttribute('vr-mode-ui', 'enabled: true');
  scene.setAttribute('renderer', 'antialias: true; colorManagement: true');
  scene.setAttribute('background', 'color: #000');

  const camera = document.createElement('a-entity');
  camera.setAttribute('camera', '');
  camera.setAttribute('position', `0 ${EYE_HEIGHT} 0`);
  // Drag with mouse or finger, device orientation on phones ("magic window"); a flat screen stays put.
  camera.setAttribute(
    'look-controls',
    opts.projection === 'flat' ? 'enabled: false' : 'reverseMouseDrag: false; touchEnabled: true; magicWindowTrackingEnabled: true',
  );
  if (opts.stereo !== 'mono') camera.setAttribute('sc-left-eye-camera', '');
  scene.appendChild(camera);

  if (opts.stereo === 'mono') scene.appendChild(eyeEntity(opts, 'both'));
  else {
    scene.appendChild(eyeEntity(opts, 'left'));
    scene.appendChild(eyeEntity(opts, 'right'));
  }
  return scene;
}
