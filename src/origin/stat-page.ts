import { describeLayout, type StreamLayout } from '../shared/layout/stream-layout';
import type { LadderStat } from './live-ladder';

/** /stat: the live streams as data, and as a page a person can read. Pure. */
export interface StreamStat {
  readonly name: string;
  readonly master: string;
  readonly publisher: string;
  /** ISO 8601. */
  readonly startedAt: string;
  readonly uptimeSeconds: number;
  readonly bitrateKbps: number;
  readonly clients: number;
  readonly video?: { readonly codec: string; readonly width: number; readonly height: number; readonly frameRate: number };
  readonly audio?: { readonly codec: string; readonly sampleRate: number; readonly channels: number };
  readonly unsupported: readonly string[];
  /** Projection, stereo and initial view, once the picture size is known. */
  readonly layout?: StreamLayout;
  /** Path of the stream's thumbnail once one exists. */
  readonly thumbnail?: string;
  /** The live ladder (LIVE_LADDER): its state, how far its encoder trails, its renditions. */
  readonly ladder?: LadderStat;
}

function describeLadder(l: LadderStat | undefined): string {
  if (!l) return '-';
  const renditions = l.renditions.map((r) => `${r.width}x${r.height}${r.listed ? '' : ' (not listed)'}`).join(', ');
  return `${l.state}${l.state === 'running' ? ` (${l.lagSeconds.toFixed(1)} s behind)` : ''}${renditions ? `: ${renditions}` : ''}${l.reason ? ` &mdash; ${esc(l.reason)}` : ''}`;
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function renderStatPage(streams: readonly StreamStat[], generatedAt: Date): string {
  const rows = streams
    .map((s) => {
      const video = s.video ? `${esc(s.video.codec)} ${s.video.width}x${s.video.height} @ ${s.video.frameRate.toFixed(2)} fps` : '-';
      const audio = s.audio ? `${esc(s.audio.codec)} ${s.audio.sampleRate} Hz ${s.audio.channels} ch` : '-';
      const layout = s.layout ? esc(describeLayout(s.layout)) : '-';
      return `<tr><td><a href="${esc(s.master)}">${esc(s.name)}</a></td><td>${esc(s.publisher)}</td><td>${video}</td><td>${audio}</td><td>${layout}</td><td>${describeLadder(s.ladder)}</td><td>${s.bitrateKbps}</td><td>${s.uptimeSeconds}</td><td>${s.clients}</td></tr>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="5"><title>spherecast origin: live streams</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}</style></head>
<body><h1>Live streams</h1>
${streams.length ? `<table><thead><tr><th>Stream</th><th>Publisher</th><th>Video</th><th>Audio</th><th>Layout</th><th>Ladder</th><th>kbit/s</th><th>Uptime (s)</th><th>Viewers</th></tr></thead><tbody>
${rows}
</tbody></table>` : '<p>No live streams.</p>'}
<p><small>Updated ${generatedAt.toISOString()} &middot; <a href="?format=json">JSON</a></small></p></body></html>
`;
}
