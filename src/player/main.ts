/// <reference lib="dom" />
// Entry point of player.html: read the query string, build the scene, start playback, wire the controls.
import Hls from 'hls.js';
import { aframe, hasWebGl } from './aframe-global';
import { chooseEngine } from './playback-engine';
import { PlayerController } from './player-controller';
import { parsePlayerOptions } from './player-options';
import { PlayerUi } from './player-ui';
import { QualityMenu } from './quality-menu';
import { fetchStreamLayout } from './layout-source';
import { buildScene, lookAt, registerSceneComponents, showEye, showLayout, viewYaw } from './scene';
import { showPoster } from './poster-overlay';
import { StatsOverlay } from './stats-overlay';
import { fetchViewportSource } from './viewport-source';
import { describeLayout, resolveLayout, type StreamLayout } from '../shared/layout/stream-layout';

function byId<T extends HTMLElement>(id: string): T {
  return document.getElementById(id) as T;
}

function main(): void {
  const options = parsePlayerOptions(location.search, location.href);
  const ui = new PlayerUi({ retry: () => controller?.retryNow(), goLive: () => controller?.liveEdge() });
  const video = ui.video;
  let controller: PlayerController | undefined;

  if (options.warnings.length) ui.showToast(options.warnings.join(' '));
  if (!options.url) {
    ui.showFatal('Nothing to play', options.urlError ?? 'No stream given.');
    document.body.classList.add('sc-no-stream');
    return;
  }

  showPoster(byId<HTMLImageElement>('sc-poster'), options.url, video);
  const AFRAME = aframe();
  const use3d = Boolean(AFRAME && hasWebGl());
  // Exposed for tests and for people debugging a stream in the console (the rest is added below).
  const hooks: Record<string, unknown> = { options, layoutReady: false, sceneReady: false };
  (window as unknown as { spherecast?: unknown }).spherecast = hooks;
  let layoutText = '';
  // The scene is up at once (a live stream may be waited for a while); the video goes in once its layout is known.
  let scene: HTMLElement | undefined;
  if (use3d) {
    registerSceneComponents(AFRAME!);
    scene = buildScene();
    document.body.prepend(scene);
  }
  hooks.lookAt = (yaw: number, pitch: number): boolean => (scene ? lookAt(scene, yaw, pitch) : false);
  hooks.showEye = (eye: 'left' | 'right'): void => void (scene && showEye(scene, eye));
  void chooseLayout(options.url, options.layout, video).then(({ layout, text }) => {
    hooks.layout = layout;
    hooks.layoutReady = true;
    layoutText = text;
    if (!scene) return;
    const shown = scene;
    // The surfaces go in only once the scene has loaded. A-Frame lets entities load from the moment the document is
    // complete, but the scene starts its systems one task later (on 'aframeready'): a surface added in between finds
    // no geometry system and throws, and the scene never reports ready.
    const ready = (): void => {
      showLayout(shown, { layout, video, screenEye: options.screenEye });
      if (layout.view) lookAt(shown, layout.view.yaw, layout.view.pitch);
      hooks.sceneReady = true;
    };
    if ((shown as HTMLElement & { hasLoaded?: boolean }).hasLoaded) ready();
    else shown.addEventListener('loaded', ready, { once: true });
  });
  if (!use3d) {
    // Still worth watching: show the plain video, flat, and say why there is no 360° view.
    document.body.classList.add('sc-fallback');
    ui.showToast(
      AFRAME
        ? 'This browser has no WebGL, so the video is shown flat instead of in 360°.'
        : 'The 360° viewer (A-Frame) did not load, so the video is shown flat.',
    );
  }

  video.muted = options.muted;
  const engine = chooseEngine(
    { mse: Hls.isSupported(), nativeHls: video.canPlayType('application/vnd.apple.mpegurl') !== '' },
    options.engine,
  );
  if (engine === 'none') {
    ui.showFatal(
      'This browser cannot play this stream',
      'It supports neither Media Source Extensions nor HLS video. Try a current version of Chrome, Firefox, Edge or Safari.',
    );
    return;
  }

  const stats = new StatsOverlay(byId('sc-stats'), byId('sc-stats-button'), () => ({ ...controller!.sample(), layout: layoutText || undefined }));
  // After a reload (retry, stream restarted) keep playing if the person had started it.
  let started = false;
  video.addEventListener('play', () => {
    started = true;
  });
  controller = new PlayerController({
    video,
    url: options.url,
    engine,
    live: options.live,
    events: {
      message: (m) => ui.showMessage(m),
      levels: (choices) => quality.setChoices(choices),
      live: (live) => ui.setLive(live),
      ready: () => {
        if (options.autoplay || started) void ui.autoplay();
        else ui.offerPlay();
      },
    },
  });
  const quality = new QualityMenu(byId('sc-quality-button'), byId('sc-quality-menu'), controller);
  setInterval(() => quality.refresh(), 2000);
  ui.setLive(options.live);
  document.addEventListener('keydown', (event) => {
    if (event.key === 'i' && !(event.target instanceof HTMLInputElement)) stats.toggle();
  });
  if (options.showStats) stats.show(true);
  document.title = `${streamName(options.url)} · spherecast`;
  Object.assign(hooks, { controller, engine, viewport: () => controller?.viewportState() });
  const started3d = scene;
  const url = options.url;
  if (started3d && engine === 'hls.js' && options.live) {
    // A live stream with viewport renditions (LIVE_VIEWPORT_RENDITIONS) plays those, chosen by where the viewer
    // looks, with hls.js' low-latency mode as the master would; asked again at every (re)load, as they come and go.
    controller.useLiveViewport({
      find: async () => {
        const found = await fetchViewportSource(url);
        return 'listing' in found ? found : undefined;
      },
      viewYaw: () => viewYaw(started3d),
    });
    controller.start();
  } else if (started3d && engine === 'hls.js') {
    // A VOD asset with viewport renditions plays those, chosen by where the viewer looks; most streams have none
    // (one small request to find out).
    void fetchViewportSource(url).then((found) => {
      if ('listing' in found) controller!.useViewport({ source: found, viewYaw: () => viewYaw(started3d) });
      controller!.start();
    });
  } else controller.start();
}

/**
 * The layout to show: the link's parameters, then the stream's layout JSON, then the auto rule on the picture size
 * (waiting for the video's metadata only when that rule is needed). `text` says where it came from, for the stats.
 */
async function chooseLayout(
  url: string,
  query: ReturnType<typeof parsePlayerOptions>['layout'],
  video: HTMLVideoElement,
): Promise<{ layout: StreamLayout; text: string }> {
  const lookup = async (): Promise<StreamLayout | undefined> => {
    const found = await fetchStreamLayout(url);
    return 'layout' in found ? found.layout : undefined;
  };
  let fromStream = await lookup();
  if (!fromStream) {
    // A live stream opened before it starts has no JSON yet either: ask again once its picture is there.
    await videoMetadata(video);
    fromStream = await lookup();
  }
  const projection = query.projection ?? fromStream?.projection ?? 'auto';
  const layout = resolveLayout([query, fromStream], { width: video.videoWidth, height: video.videoHeight });
  const origins = [Object.keys(query).length ? 'link' : '', fromStream ? 'stream' : '', projection === 'auto' ? 'auto' : ''];
  return { layout, text: `${describeLayout(layout)} (${origins.filter(Boolean).join(' + ')})` };
}

function videoMetadata(video: HTMLVideoElement): Promise<void> {
  if (video.videoWidth > 0) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      if (video.videoWidth === 0) return;
      video.removeEventListener('loadedmetadata', done);
      video.removeEventListener('resize', done);
      resolve();
    };
    video.addEventListener('loadedmetadata', done);
    video.addEventListener('resize', done);
  });
}

function streamName(url: string): string {
  const path = new URL(url).pathname.replace(/\/(index|manifest|master|playlist)\.m3u8$/i, '');
  const last = path.split('/').filter(Boolean).pop() ?? 'stream';
  return decodeURIComponent(last.replace(/\.m3u8$/i, ''));
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', main);
else main();
