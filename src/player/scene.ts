/// <reference lib="dom" />
// Builds the A-Frame scene that shows the video: a sphere around the viewer drawn by the projection shader
// (equirect, 180, cubemap, EAC) or a screen in front (flat), one mesh per eye for stereo video. Eyes are split with
// three.js layers: in WebXR, three's left eye camera sees layers 0 and 1, the right eye 0 and 2; the ordinary
// (non-VR) camera is given layer 1 so it shows the left eye (layer 2 with ?eye=right).
import type { AFrameEntity, AFrameGlobal } from './aframe-global';
import type { StereoLayout } from './player-options';
import { PROJECTION_CODE, PROJECTION_SHADER, registerProjectionShader } from './projection-shader';
import { eyeAspect, materialWindow, textureWindow, type Eye } from './stereo-layout';
import type { StreamLayout } from '../shared/layout/stream-layout';

const SPHERE_RADIUS = 100;
const EYE_HEIGHT = 1.6;
const SCREEN_HEIGHT = 2;

export interface SceneOptions {
  layout: StreamLayout;
  video: HTMLVideoElement;
  /** The eye the ordinary (non-VR) screen shows for stereo video. */
  screenEye: Eye;
}

export function registerSceneComponents(AFRAME: AFrameGlobal): void {
  registerProjectionShader(AFRAME);
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

  AFRAME.registerComponent('sc-screen-eye-camera', {
    schema: { eye: { default: 'left', oneOf: ['left', 'right'] } },
    init() {
      this.el.addEventListener('object3dset', () => screenEye(this.el, this.data.eye));
    },
    update() {
      screenEye(this.el, this.data.eye);
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

  // The EAC pads and the cube face edges are in pixels of one eye's picture: tell the shader its size.
  AFRAME.registerComponent('sc-eye-size', {
    schema: { layout: { default: 'mono' } },
    init() {
      const video = document.getElementById('sc-video') as HTMLVideoElement | null;
      const update = (): void => {
        if (!video?.videoWidth || !video.videoHeight) return;
        const { repeat } = textureWindow(this.data.layout as StereoLayout, 'left');
        this.el.setAttribute('material', 'eyeSize', `${video.videoWidth * repeat.x} ${video.videoHeight * repeat.y}`);
      };
      video?.addEventListener('loadedmetadata', update);
      video?.addEventListener('resize', update);
      update();
    },
  });
}

function screenEye(camera: AFrameEntity, eye: unknown): void {
  const layers = camera.getObject3D('camera')?.layers;
  if (!layers) return;
  layers.disable(1);
  layers.disable(2);
  layers.enable(eye === 'right' ? 2 : 1);
}

function eyeEntity(opts: SceneOptions, eye: Eye | 'both'): HTMLElement {
  const { projection, stereo } = opts.layout;
  const el = document.createElement('a-entity');
  const window_ = textureWindow(stereo, eye === 'both' ? 'left' : eye);
  // (minFilter linear: no mipmaps, which video textures cannot have and would only cost time per frame.)
  if (projection === 'flat') {
    el.setAttribute('geometry', `primitive: plane; width: ${SCREEN_HEIGHT * (16 / 9)}; height: ${SCREEN_HEIGHT}`);
    el.setAttribute('material', `shader: flat; side: front; minFilter: linear; src: #${opts.video.id}; ${materialWindow(window_)}`);
    el.setAttribute('sc-flat-screen', `layout: ${stereo}`);
  } else {
    // The shader works out each pixel's direction from the camera, so the sphere only has to surround the viewer.
    el.setAttribute('geometry', `primitive: sphere; radius: ${SPHERE_RADIUS}; segmentsWidth: 32; segmentsHeight: 16`);
    el.setAttribute(
      'material',
      `shader: ${PROJECTION_SHADER}; side: back; minFilter: linear; src: #${opts.video.id}; projection: ${PROJECTION_CODE[projection]}; ` +
        materialWindow(window_),
    );
    el.setAttribute('sc-eye-size', `layout: ${stereo}`);
  }
  if (eye !== 'both') el.setAttribute('sc-eye', `eye: ${eye}`);
  el.classList.add('sc-video-surface');
  el.dataset.projection = projection;
  return el;
}

/** The scene and its camera, up while the stream's layout is still being found out; see showLayout. */
export function buildScene(): HTMLElement {
  const scene = document.createElement('a-scene');
  scene.setAttribute('loading-screen', 'enabled: false');
  scene.setAttribute('vr-mode-ui', 'enabled: true');
  scene.setAttribute('renderer', 'antialias: true; colorManagement: true');
  scene.setAttribute('background', 'color: #000');

  const camera = document.createElement('a-entity');
  camera.setAttribute('camera', '');
  camera.setAttribute('position', `0 ${EYE_HEIGHT} 0`);
  // Drag with mouse or finger, device orientation on phones ("magic window").
  camera.setAttribute('look-controls', 'reverseMouseDrag: false; touchEnabled: true; magicWindowTrackingEnabled: true');
  scene.appendChild(camera);
  return scene;
}

/** Puts the video into the scene in its layout: the surfaces (one per eye for stereo) and what the camera sees. */
export function showLayout(scene: HTMLElement, opts: SceneOptions): void {
  const { projection, stereo } = opts.layout;
  const camera = scene.querySelector('[camera]')!;
  // A flat screen stays put.
  if (projection === 'flat') camera.setAttribute('look-controls', 'enabled: false');
  if (stereo !== 'mono') camera.setAttribute('sc-screen-eye-camera', `eye: ${opts.screenEye}`);
  if (stereo === 'mono') scene.appendChild(eyeEntity(opts, 'both'));
  else {
    scene.appendChild(eyeEntity(opts, 'left'));
    scene.appendChild(eyeEntity(opts, 'right'));
  }
}

/** Which eye of a stereo video the ordinary screen shows (a no-op for mono). */
export function showEye(scene: HTMLElement, eye: Eye): void {
  scene.querySelector('[sc-screen-eye-camera]')?.setAttribute('sc-screen-eye-camera', `eye: ${eye}`);
}

type LookControls = { yawObject: { rotation: { y: number } }; pitchObject: { rotation: { x: number } } };

/**
 * Turns the view to yaw (degrees, positive = right) and pitch (positive = up), through look-controls so a later
 * drag continues from there. Does nothing for a flat screen or before the camera is ready.
 */
export function lookAt(scene: HTMLElement, yaw: number, pitch: number): boolean {
  const camera = scene.querySelector('[camera]') as (HTMLElement & { components?: Record<string, unknown> }) | null;
  const controls = camera?.components?.['look-controls'] as LookControls | undefined;
  if (!controls?.yawObject || scene.querySelector('[data-projection="flat"]')) return false;
  // three.js turns counter-clockwise for a positive angle about +y: left. Our yaw turns right.
  controls.yawObject.rotation.y = (-yaw * Math.PI) / 180;
  controls.pitchObject.rotation.x = (Math.max(-90, Math.min(90, pitch)) * Math.PI) / 180;
  return true;
}

/**
 * Where the viewer looks now, as a yaw in degrees (positive = right of the picture's middle, -180..180): from the
 * camera three.js draws with, so a headset's pose counts as well as a drag. Undefined before the scene is up.
 */
export function viewYaw(scene: HTMLElement): number | undefined {
  const camera = (scene as HTMLElement & { camera?: { matrixWorld: { elements: ArrayLike<number> } } }).camera;
  if (!camera) return undefined;
  // The camera looks down its -z axis (the matrix's third column, negated); x is to the right.
  const e = camera.matrixWorld.elements;
  const x = -e[8];
  const z = -e[10];
  if (Math.hypot(x, z) < 1e-6) return undefined;
  return (Math.atan2(x, -z) * 180) / Math.PI;
}
