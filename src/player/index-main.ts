/// <reference lib="dom" />
// Entry point of index.html: lists live streams (origin /stat JSON) and VOD assets (egress listing, then each
// asset's card), each as a card with its picture, linked to the player. A reference-style link (index.html?url=...)
// goes straight to the player.
import {
  ASSET_CARD_MAX_BYTES,
  assetCardUrl,
  formatDuration,
  formatUptime,
  layoutLabel,
  parseAssetCard,
  parseStat,
  parseVodIndex,
  playerLink,
  type LiveEntry,
  type VodCard,
  type VodEntry,
} from './stream-index';

const DEFAULT_STAT = '/stat?format=json';
const DEFAULT_VOD = '/vod/index.json';
/** The origin's instant VODs: publishes that just ended, until the transcoder's ladder replaces each. */
const DEFAULT_INSTANT_VOD = '/vod-live/index.json';
const LIVE_REFRESH_MS = 10_000;
const FETCH_TIMEOUT_MS = 5000;
/** Asset cards fetched at once. */
const CARD_FETCHES = 4;

function byId<T extends HTMLElement>(id: string): T {
  return document.getElementById(id) as T;
}

async function fetchJson(url: string, maxChars = Infinity): Promise<unknown> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), FETCH_TIMEOUT_MS);
  try {
    const res = await fetch(url, { headers: { accept: 'application/json' }, cache: 'no-store', signal: controller.signal });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    if (Number(res.headers.get('content-length') ?? 0) > maxChars) throw new Error('too large');
    const body = await res.text();
    if (body.length > maxChars) throw new Error('too large');
    return JSON.parse(body);
  } catch (err) {
    const e = err as Error;
    throw new Error(e.name === 'AbortError' ? 'no answer' : e.name === 'SyntaxError' ? 'not JSON' : e.message);
  } finally {
    clearTimeout(timer);
  }
}

/** What one card shows; every field but the title optional. */
interface CardView {
  title: string;
  href: string;
  live: boolean;
  /** An instant VOD: the publish as it was sent, until the transcoder's ladder replaces it. */
  replay?: boolean;
  thumbnail?: string;
  date?: { iso: string; label: string };
  duration?: string;
  layout?: string;
  details: string[];
  renditions: string[];
}

function span(className: string, text: string): HTMLSpanElement {
  const el = document.createElement('span');
  el.className = className;
  el.textContent = text;
  return el;
}

/** The picture of a card: the thumbnail (hidden if it fails to load), the LIVE or REPLAY badge and the duration. */
function cardPicture(v: CardView): HTMLSpanElement {
  const box = span('sc-entry-thumb', '');
  if (v.thumbnail) {
    const img = document.createElement('img');
    img.className = 'sc-entry-img';
    img.alt = '';
    img.decoding = 'async';
    img.addEventListener('error', () => img.remove());
    img.src = v.thumbnail;
    box.append(img);
  }
  if (v.live) box.append(span('sc-badge-live', 'LIVE'));
  if (v.replay) {
    const badge = span('sc-badge-replay', 'REPLAY');
    badge.title = 'The stream as it was sent; the adaptive versions replace it once transcoded';
    box.append(badge);
  }
  if (v.duration) box.append(span('sc-entry-duration', v.duration));
  return box;
}

function card(v: CardView): HTMLLIElement {
  const li = document.createElement('li');
  const a = document.createElement('a');
  a.href = v.href;
  a.className = 'sc-entry';
  const body = span('sc-entry-body', '');
  body.append(span('sc-entry-name', v.title));
  if (v.date) {
    const time = document.createElement('time');
    time.className = 'sc-entry-date';
    time.dateTime = v.date.iso;
    time.textContent = `${v.date.label} ${new Date(v.date.iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })}`;
    body.append(time);
  }
  if (v.layout) body.append(span('sc-entry-layout', v.layout));
  if (v.details.length) body.append(span('sc-entry-meta', v.details.join(' · ')));
  if (v.renditions.length) body.append(span('sc-entry-renditions', `${v.renditions.length} rendition${v.renditions.length > 1 ? 's' : ''}: ${v.renditions.join(', ')}`));
  a.append(cardPicture(v), body);
  li.append(a);
  return li;
}

function liveCard(s: LiveEntry): CardView {
  const d: string[] = [];
  if (s.resolution) d.push(s.resolution);
  if (s.codecs) d.push(s.codecs);
  if (s.viewers !== undefined) d.push(`${s.viewers} watching`);
  const up = formatUptime(s.uptimeSeconds);
  if (up) d.push(`live for ${up}`);
  return {
    title: s.name,
    href: playerLink(s.url, location.href, { live: true }),
    live: true,
    thumbnail: s.thumbnail,
    date: s.startedAt ? { iso: s.startedAt, label: 'Started' } : undefined,
    duration: formatDuration(s.uptimeSeconds),
    layout: s.layout && layoutLabel(s.layout),
    details: d,
    // A live stream is one rendition, its picture as published.
    renditions: s.resolution ? [s.resolution] : [],
  };
}

function vodCard(a: VodEntry, c?: VodCard): CardView {
  return {
    title: c?.title ?? a.name,
    href: playerLink(a.url, location.href),
    live: false,
    ...(a.instant ? { replay: true } : {}),
    thumbnail: c?.poster,
    date: c?.date ? { iso: c.date.iso, label: c.date.kind === 'recorded' ? 'Recorded' : 'Added' } : a.startedAt ? { iso: a.startedAt, label: 'Streamed' } : undefined,
    duration: formatDuration(c?.durationSeconds ?? a.duration),
    layout: c?.layout && layoutLabel(c.layout),
    details: c?.resolution ? [c.resolution] : [],
    renditions: c?.renditions ?? [],
  };
}

/** The card beside a VOD master, or undefined when there is none (older assets) or it is not one of ours. */
async function fetchCard(masterUrl: string): Promise<VodCard | undefined> {
  const url = assetCardUrl(masterUrl);
  try {
    return parseAssetCard(await fetchJson(url, ASSET_CARD_MAX_BYTES), url);
  } catch {
    return undefined;
  }
}

function render<T>(list: HTMLElement, status: HTMLElement, entries: T[] | Error, empty: string, source: string, toItem: (e: T) => HTMLLIElement): void {
  if (entries instanceof Error) {
    list.replaceChildren();
    status.textContent = `${empty} (could not read ${source}: ${entries.message})`;
    status.hidden = false;
    return;
  }
  list.replaceChildren(...entries.map(toItem));
  status.textContent = empty;
  status.hidden = entries.length > 0;
}

async function loadLive(statUrl: string): Promise<void> {
  let entries: LiveEntry[] | Error;
  try {
    entries = parseStat(await fetchJson(statUrl), statUrl);
  } catch (err) {
    entries = err as Error;
  }
  render(byId('live-list'), byId('live-status'), entries, 'No live streams right now.', statUrl, (s) => card(liveCard(s)));
}

async function readVod(url: string): Promise<VodEntry[] | Error> {
  try {
    return parseVodIndex(await fetchJson(url), url);
  } catch (err) {
    return err as Error;
  }
}

/** Asset cards already read, by master URL: the VOD list is read again every few seconds, the cards once. */
const cards = new Map<string, VodCard>();

/** Instant VODs (newest first) above the transcoded assets; either listing may be absent (an S3 egress has no /vod/ here). */
async function loadVod(vodUrl: string, instantUrl: string): Promise<void> {
  const [ladders, instant] = await Promise.all([readVod(vodUrl), readVod(instantUrl)]);
  const entries = ladders instanceof Error && instant instanceof Error ? ladders : [...(instant instanceof Error ? [] : instant), ...(ladders instanceof Error ? [] : ladders)];
  render(byId('vod-list'), byId('vod-status'), entries, 'No VOD assets yet.', vodUrl, (a) => card(vodCard(a, cards.get(a.url))));
  if (entries instanceof Error) return;
  // Each transcoded asset's card fills in its entry as it arrives, a few at a time (instant VODs have none).
  const items = [...byId('vod-list').children];
  const queue = entries.map((a, i) => ({ a, li: items[i] })).filter(({ a }) => !a.instant && !cards.has(a.url));
  const worker = async (): Promise<void> => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      const c = await fetchCard(next.a.url);
      if (!c) continue;
      cards.set(next.a.url, c);
      next.li.replaceWith(card(vodCard(next.a, c)));
    }
  };
  await Promise.all(Array.from({ length: Math.min(CARD_FETCHES, queue.length) }, worker));
}

function main(): void {
  const params = new URLSearchParams(location.search);
  if (params.get('url')) {
    location.replace(`player.html${location.search}`);
    return;
  }
  const statUrl = new URL(params.get('stat') || DEFAULT_STAT, location.href).href;
  const vodUrl = new URL(params.get('vod') || DEFAULT_VOD, location.href).href;
  const instantUrl = new URL(params.get('instant') || DEFAULT_INSTANT_VOD, location.href).href;

  const form = byId<HTMLFormElement>('play-form');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const url = byId<HTMLInputElement>('play-url').value.trim();
    const live = byId<HTMLInputElement>('play-live').checked;
    if (url) location.href = playerLink(url, location.href, { live });
  });

  void loadLive(statUrl);
  void loadVod(vodUrl, instantUrl);
  // A publish that ends moves from the live list to the VOD list as an instant VOD.
  setInterval(() => {
    void loadLive(statUrl);
    void loadVod(vodUrl, instantUrl);
  }, LIVE_REFRESH_MS);
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', main);
else main();
