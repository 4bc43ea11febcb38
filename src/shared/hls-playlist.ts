/**
 * HLS playlist text (RFC 8216): pure writers and parsers shared by the origin (live),
 * the transcoder (VOD masters), the edge (TTL decisions) and the load test.
 */
import { VIDEO_LAYOUT_VERSION } from './layout/hls-video-layout';

export interface MediaSegment {
  readonly uri: string;
  /** Seconds. */
  readonly duration: number;
  readonly discontinuity?: boolean;
  readonly programDateTime?: Date;
  /** URI of the EXT-X-MAP (init section) in effect for this segment (RFC 8216 4.3.2.5). */
  readonly map?: string;
}

export interface MediaPlaylist {
  readonly version?: number;
  readonly targetDuration: number;
  readonly mediaSequence: number;
  readonly segments: readonly MediaSegment[];
  readonly endList: boolean;
  readonly playlistType?: 'EVENT' | 'VOD';
  readonly independentSegments?: boolean;
}

export interface Variant {
  readonly uri: string;
  /** Peak bits per second. */
  readonly bandwidth: number;
  readonly averageBandwidth?: number;
  readonly resolution?: { readonly width: number; readonly height: number };
  readonly codecs?: readonly string[];
  readonly frameRate?: number;
  /** GROUP-ID of the EXT-X-MEDIA audio rendition this variant plays with. */
  readonly audioGroup?: string;
  /** REQ-VIDEO-LAYOUT (see layout/hls-video-layout.ts); the master must then declare version 12. */
  readonly videoLayout?: string;
}

export interface AudioRendition {
  readonly groupId: string;
  readonly name: string;
  readonly uri: string;
  readonly channels?: number;
  readonly isDefault?: boolean;
}

export interface MasterPlaylist {
  readonly version?: number;
  readonly independentSegments?: boolean;
  readonly audio?: readonly AudioRendition[];
  readonly variants: readonly Variant[];
}

export function writeMediaPlaylist(p: MediaPlaylist): string {
  const lines = ['#EXTM3U', `#EXT-X-VERSION:${p.version ?? 3}`, `#EXT-X-TARGETDURATION:${p.targetDuration}`, `#EXT-X-MEDIA-SEQUENCE:${p.mediaSequence}`];
  if (p.playlistType) lines.push(`#EXT-X-PLAYLIST-TYPE:${p.playlistType}`);
  if (p.independentSegments) lines.push('#EXT-X-INDEPENDENT-SEGMENTS');
  let map: string | undefined;
  for (const s of p.segments) {
    if (s.discontinuity) lines.push('#EXT-X-DISCONTINUITY');
    if (s.map !== undefined && s.map !== map) lines.push(`#EXT-X-MAP:URI=${quoted(checkUri(s.map))}`);
    map = s.map;
    if (s.programDateTime) lines.push(`#EXT-X-PROGRAM-DATE-TIME:${s.programDateTime.toISOString()}`);
    lines.push(`#EXTINF:${s.duration.toFixed(3)},`, s.uri);
  }
  if (p.endList) lines.push('#EXT-X-ENDLIST');
  return lines.join('\n') + '\n';
}

/** Target duration per RFC 8216 4.3.3.1: every EXTINF rounded to the nearest integer must not exceed it. */
export function targetDurationFor(durations: Iterable<number>, floor = 1): number {
  let t = floor;
  for (const d of durations) t = Math.max(t, Math.round(d));
  return Math.max(1, Math.ceil(t));
}

function checkUri(uri: string): string {
  if (uri === '' || /[\r\n"]/.test(uri)) throw new Error(`URI ${JSON.stringify(uri)} cannot be written into a playlist`);
  return uri;
}

function quoted(v: string): string {
  if (/["\r\n]/.test(v)) throw new Error(`value ${JSON.stringify(v)} contains quotes or line breaks`);
  return `"${v}"`;
}

export function writeMasterPlaylist(m: MasterPlaylist): string {
  // A REQ- attribute needs version 12 (rfc8216bis section 8); raised here so no writer can forget it.
  const version = m.variants.some((v) => v.videoLayout) ? Math.max(m.version ?? 3, VIDEO_LAYOUT_VERSION) : (m.version ?? 3);
  const lines = ['#EXTM3U', `#EXT-X-VERSION:${version}`];
  if (m.independentSegments) lines.push('#EXT-X-INDEPENDENT-SEGMENTS');
  for (const a of m.audio ?? []) {
    const attrs = [`TYPE=AUDIO`, `GROUP-ID=${quoted(a.groupId)}`, `NAME=${quoted(a.name)}`, `DEFAULT=${a.isDefault ? 'YES' : 'NO'}`, `AUTOSELECT=YES`];
    if (a.channels) attrs.push(`CHANNELS="${a.channels}"`);
    attrs.push(`URI=${quoted(checkUri(a.uri))}`);
    lines.push(`#EXT-X-MEDIA:${attrs.join(',')}`);
  }
  for (const v of m.variants) {
    if (!(v.bandwidth > 0)) throw new Error(`BANDWIDTH of ${v.uri} must be positive, got ${v.bandwidth}`);
    checkUri(v.uri);
    const attrs = [`BANDWIDTH=${Math.round(v.bandwidth)}`];
    if (v.averageBandwidth !== undefined) attrs.push(`AVERAGE-BANDWIDTH=${Math.round(v.averageBandwidth)}`);
    if (v.codecs && v.codecs.length) attrs.push(`CODECS="${v.codecs.join(',')}"`);
    if (v.resolution) attrs.push(`RESOLUTION=${v.resolution.width}x${v.resolution.height}`);
    if (v.frameRate !== undefined) attrs.push(`FRAME-RATE=${v.frameRate.toFixed(3)}`);
    if (v.audioGroup) attrs.push(`AUDIO=${quoted(v.audioGroup)}`);
    if (v.videoLayout) attrs.push(`REQ-VIDEO-LAYOUT=${quoted(v.videoLayout)}`);
    lines.push(`#EXT-X-STREAM-INF:${attrs.join(',')}`, v.uri);
  }
  return lines.join('\n') + '\n';
}

/** Splits an attribute list (`A=1,B="x,y"`) respecting quotes. */
export function parseAttributes(list: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /([A-Z0-9-]+)=("[^"]*"|[^,]*)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(list))) out[m[1]] = m[2].startsWith('"') ? m[2].slice(1, -1) : m[2];
  return out;
}

function lines(text: string): string[] {
  const ls = text.split(/\r?\n/).map((l) => l.trim());
  if (ls[0] !== '#EXTM3U') throw new Error('not an HLS playlist (no #EXTM3U)');
  return ls;
}

export function isMasterPlaylist(text: string): boolean {
  return text.includes('#EXT-X-STREAM-INF');
}

export function parseMediaPlaylist(text: string): MediaPlaylist {
  let targetDuration = -1;
  let mediaSequence = 0;
  let endList = false;
  let playlistType: 'EVENT' | 'VOD' | undefined;
  let independentSegments = false;
  const segments: MediaSegment[] = [];
  let pending: { duration?: number; discontinuity?: boolean; programDateTime?: Date } = {};
  let map: string | undefined;
  for (const l of lines(text)) {
    if (l === '' || l === '#EXTM3U') continue;
    if (l.startsWith('#EXT-X-TARGETDURATION:')) targetDuration = Number(l.slice(22));
    else if (l.startsWith('#EXT-X-MEDIA-SEQUENCE:')) mediaSequence = Number(l.slice(22));
    else if (l === '#EXT-X-ENDLIST') endList = true;
    else if (l === '#EXT-X-INDEPENDENT-SEGMENTS') independentSegments = true;
    else if (l.startsWith('#EXT-X-PLAYLIST-TYPE:')) playlistType = l.slice(21) as 'EVENT' | 'VOD';
    else if (l === '#EXT-X-DISCONTINUITY') pending.discontinuity = true;
    else if (l.startsWith('#EXT-X-PROGRAM-DATE-TIME:')) pending.programDateTime = new Date(l.slice(25));
    else if (l.startsWith('#EXT-X-MAP:')) map = parseAttributes(l.slice(11)).URI;
    else if (l.startsWith('#EXTINF:')) pending.duration = Number(l.slice(8).split(',')[0]);
    else if (!l.startsWith('#')) {
      if (pending.duration === undefined) throw new Error(`segment ${l} has no EXTINF`);
      segments.push({ uri: l, duration: pending.duration, ...(pending.discontinuity ? { discontinuity: true } : {}), ...(pending.programDateTime ? { programDateTime: pending.programDateTime } : {}), ...(map !== undefined ? { map } : {}) });
      pending = {};
    }
  }
  if (targetDuration < 0) throw new Error('media playlist has no #EXT-X-TARGETDURATION');
  return {
    targetDuration,
    mediaSequence,
    ...(playlistType ? { playlistType } : {}),
    ...(independentSegments ? { independentSegments } : {}),
    segments,
    endList,
  };
}

export function parseMasterPlaylist(text: string): MasterPlaylist {
  const variants: Variant[] = [];
  const audio: AudioRendition[] = [];
  let attrs: Record<string, string> | undefined;
  let version: number | undefined;
  let independentSegments = false;
  for (const l of lines(text)) {
    if (l.startsWith('#EXT-X-STREAM-INF:')) attrs = parseAttributes(l.slice(18));
    else if (l.startsWith('#EXT-X-MEDIA:')) {
      const a = parseAttributes(l.slice(13));
      if (a.TYPE === 'AUDIO' && a.URI) {
        audio.push({ groupId: a['GROUP-ID'], name: a.NAME, uri: a.URI, ...(a.CHANNELS ? { channels: Number(a.CHANNELS) } : {}), isDefault: a.DEFAULT === 'YES' });
      }
    }
    else if (l.startsWith('#EXT-X-VERSION:')) version = Number(l.slice(15));
    else if (l === '#EXT-X-INDEPENDENT-SEGMENTS') independentSegments = true;
    else if (l !== '' && !l.startsWith('#') && attrs) {
      const res = attrs.RESOLUTION ? /^(\d+)x(\d+)$/.exec(attrs.RESOLUTION) : null;
      variants.push({
        uri: l,
        bandwidth: Number(attrs.BANDWIDTH),
        ...(attrs['AVERAGE-BANDWIDTH'] ? { averageBandwidth: Number(attrs['AVERAGE-BANDWIDTH']) } : {}),
        ...(res ? { resolution: { width: Number(res[1]), height: Number(res[2]) } } : {}),
        ...(attrs.CODECS ? { codecs: attrs.CODECS.split(',') } : {}),
        ...(attrs['FRAME-RATE'] ? { frameRate: Number(attrs['FRAME-RATE']) } : {}),
        ...(attrs.AUDIO ? { audioGroup: attrs.AUDIO } : {}),
        ...(attrs['REQ-VIDEO-LAYOUT'] ? { videoLayout: attrs['REQ-VIDEO-LAYOUT'] } : {}),
      });
      attrs = undefined;
    }
  }
  return { version, independentSegments, audio, variants };
}
