// Which part of a stereo frame each eye sees, as texture repeat/offset (UV space, v = 1 is the top of the frame).
import type { StereoLayout } from './player-options';

export type Eye = 'left' | 'right';

export interface TextureWindow {
  repeat: { x: number; y: number };
  offset: { x: number; y: number };
}

export function textureWindow(layout: StereoLayout, eye: Eye): TextureWindow {
  switch (layout) {
    case 'mono':
      return { repeat: { x: 1, y: 1 }, offset: { x: 0, y: 0 } };
    case 'top-bottom':
      // Left eye on top (the usual over-under convention).
      return { repeat: { x: 1, y: 0.5 }, offset: { x: 0, y: eye === 'left' ? 0.5 : 0 } };
    case 'side-by-side':
      return { repeat: { x: 0.5, y: 1 }, offset: { x: eye === 'left' ? 0 : 0.5, y: 0 } };
  }
}

/** Width / height of the picture one eye sees, for sizing a flat screen. */
export function eyeAspect(layout: StereoLayout, videoWidth: number, videoHeight: number): number {
  if (!(videoWidth > 0) || !(videoHeight > 0)) return 16 / 9;
  const w = layout === 'side-by-side' ? videoWidth / 2 : videoWidth;
  const h = layout === 'top-bottom' ? videoHeight / 2 : videoHeight;
  return w / h;
}

/** A-Frame material property string for a texture window, e.g. "repeat: 1 0.5; offset: 0 0.5". */
export function materialWindow(w: TextureWindow): string {
  return `repeat: ${w.repeat.x} ${w.repeat.y}; offset: ${w.offset.x} ${w.offset.y}`;
}
