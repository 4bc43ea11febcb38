/// <reference lib="dom" />
// The small part of the A-Frame global (loaded by its own <script> from build/) the player uses.

export interface AFrameComponentThis {
  el: HTMLElement & AFrameEntity;
  data: Record<string, unknown>;
  [key: string]: unknown;
}

export interface AFrameEntity {
  object3D: { layers: ThreeLayers };
  getObject3D(type: string): { layers: ThreeLayers } | undefined;
  sceneEl?: HTMLElement & { hasLoaded?: boolean; renderer?: unknown };
  setAttribute(name: string, value: unknown, more?: unknown): void;
}

export interface ThreeLayers {
  set(layer: number): void;
  enable(layer: number): void;
  disable(layer: number): void;
}

export interface AFrameGlobal {
  version?: string;
  components: Record<string, unknown>;
  registerComponent(name: string, definition: Record<string, unknown> & ThisType<AFrameComponentThis>): void;
  shaders: Record<string, unknown>;
  registerShader(name: string, definition: { schema: Record<string, unknown>; vertexShader: string; fragmentShader: string }): void;
}

export function aframe(): AFrameGlobal | undefined {
  return (window as unknown as { AFRAME?: AFrameGlobal }).AFRAME;
}

export function hasWebGl(): boolean {
  try {
    const canvas = document.createElement('canvas');
    return Boolean(canvas.getContext('webgl2') ?? canvas.getContext('webgl'));
  } catch {
    return false;
  }
}
