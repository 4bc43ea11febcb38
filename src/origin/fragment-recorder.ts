import type { Logger } from '../shared/logger';
import type { CompletePart } from './packager/live-rendition';
import { RecordingParts, type RecorderOptions } from './recording-parts';

/**
 * Records one publish (HLS_FORMAT=fmp4) as fragmented MP4 parts made of the packager's own bytes:
 * the init segment, then every LL-HLS part (moof+mdat) appended as it is made. A fragmented MP4
 * plays up to its last complete fragment, so a crash loses at most the part being written (the
 * uploader trims the torn tail on the next start). A recording part rolls over at the first
 * segment boundary once it holds `maxBytes`, and at a new init segment (the codec configuration
 * changed); each starts with its init segment, so every one plays on its own, and together they
 * hold every frame once. Parts are named `<name>-<unix seconds>.fmp4` (the uploader remuxes them to .mp4).
 */
export class FragmentRecorder {
  private readonly parts: RecordingParts;
  private initUri = '';
  private readonly log: Logger;

  constructor(private readonly opts: RecorderOptions) {
    this.log = opts.log.child({ component: 'recorder', stream: opts.name });
    this.parts = new RecordingParts(opts, 'fmp4', this.log);
  }

  /** One part from the packager; its bytes never change after the call, so they are written as they are. */
  part(p: CompletePart): void {
    if (this.parts.isOpen && p.startsSegment && (this.parts.bytes >= this.opts.maxBytes || p.initUri !== this.initUri)) this.parts.closePart();
    if (!this.parts.isOpen) {
      // Only a segment's first part starts with what the rest of the segment depends on.
      if (!p.startsSegment) return;
      this.parts.open();
      this.initUri = p.initUri;
      this.parts.append(p.init);
    }
    this.parts.append(p.bytes);
  }

  close(): Promise<void> {
    return this.parts.close();
  }
}
