/// <reference lib="dom" />
// The picture people see before the first frame: the stream's thumbnail (live) or poster (VOD), published beside its
// master as `<name>.jpg`, over the scene until the video has shown a frame. A stream without one shows nothing.
import { besideMaster } from '../shared/beside-master';

/** Shows `img` with the picture beside `masterUrl` until `video` presents its first frame; then it goes for good. */
export function showPoster(img: HTMLImageElement, masterUrl: string, video: HTMLVideoElement): void {
  let src: string;
  try {
    src = besideMaster(masterUrl, 'jpg');
  } catch {
    return; // not a .m3u8 URL: nothing beside it to show
  }
  let gone = false;
  const hide = (): void => {
    gone = true;
    img.hidden = true;
    img.removeAttribute('src');
  };
  img.addEventListener('load', () => (img.hidden = gone), { once: true });
  img.addEventListener('error', hide, { once: true });
  img.src = src;
  // The first frame is on screen once the video plays and a frame has been presented (or time has moved on).
  const framed = (): void => {
    if (gone) return;
    const withFrames = video as HTMLVideoElement & { requestVideoFrameCallback?: (cb: () => void) => number };
    if (withFrames.requestVideoFrameCallback) withFrames.requestVideoFrameCallback(hide);
    else if (video.currentTime > 0) hide();
  };
  video.addEventListener('playing', framed);
  video.addEventListener('timeupdate', () => {
    if (!video.paused && video.currentTime > 0) framed();
  });
}
