/// <reference lib="dom" />
// Entry point of index.html: lists live streams (origin /stat JSON) and VOD assets (egress listing), each linked to
// the player. A reference-style link (index.html?url=...) goes straight to the player.
import { formatUptime, parseStat, parseVodIndex, playerLink, type LiveEntry, type VodEntry } from './stream-index';

const DEFAULT_STAT = '/stat?format=json';
const DEFAULT_VOD = '/vod/index.json';
/** The origin's instant VODs: publishes that just ended, until the transcoder's ladder replaces each. */
const DEFAULT_INSTANT_VOD = '/vod-live/index.json';
const LIVE_REFRESH_MS = 10_000;
const FETCH_TIMEOUT_MS = 5000;

function byId<T extends HTMLElement>(id: string): T {
  return document.getElementById(id) as T;
}

async function fetchJson(url: string): Promise<unknown> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), FETCH_TIMEOUT_MS);
  try {
    const res = await fetch(url, { headers: { accept: 'application/json' }, cache: 'no-store', signal: controller.signal });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    return await res.json();
  } catch (err) {
    const e = err as Error;
    throw new Error(e.name === 'AbortError' ? 'no answer' : e.name === 'SyntaxError' ? 'not JSON' : e.message);
  } finally {
    clearTimeout(timer);
  }
}

function item(name: string, href: string, details: string[], badge?: 'live' | 'replay'): HTMLLIElement {
  const li = document.createElement('li');
  const a = document.createElement('a');
  a.href = href;
  a.className = 'sc-entry';
  const title = document.createElement('span');
  title.className = 'sc-entry-name';
  title.textContent = name;
  a.append(title);
  if (badge) {
    const b = document.createElement('span');
    b.className = badge === 'live' ? 'sc-badge-live' : 'sc-badge-replay';
    b.textContent = badge === 'live' ? 'LIVE' : 'REPLAY';
    if (badge === 'replay') b.title = 'The stream as it was sent; the adaptive versions replace it once transcoded';
    a.prepend(b);
  }
  if (details.length) {
    const meta = document.createElement('span');
    meta.className = 'sc-entry-meta';
    meta.textContent = details.join(' · ');
    a.append(meta);
  }
  li.append(a);
  return li;
}

function liveDetails(s: LiveEntry): string[] {
  const d: string[] = [];
  if (s.resolution) d.push(s.resolution);
  if (s.codecs) d.push(s.codecs);
  if (s.viewers !== undefined) d.push(`${s.viewers} watching`);
  const up = formatUptime(s.uptimeSeconds);
  if (up) d.push(`live for ${up}`);
  return d;
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
  render(byId('live-list'), byId('live-status'), entries, 'No live streams right now.', statUrl, (s) =>
    item(s.name, playerLink(s.url, location.href, { live: true }), liveDetails(s), 'live'),
  );
}

function vodDetails(a: VodEntry): string[] {
  const d: string[] = [];
  if (a.startedAt) d.push(new Date(a.startedAt).toLocaleString());
  if (a.duration !== undefined) d.push(formatUptime(a.duration)!);
  return d;
}

async function readVod(url: string): Promise<VodEntry[] | Error> {
  try {
    return parseVodIndex(await fetchJson(url), url);
  } catch (err) {
    return err as Error;
  }
}

/** Instant VODs (newest first) above the transcoded assets; either listing may be absent (an S3 egress has no /vod/ here). */
async function loadVod(vodUrl: string, instantUrl: string): Promise<void> {
  const [ladders, instant] = await Promise.all([readVod(vodUrl), readVod(instantUrl)]);
  const entries = ladders instanceof Error && instant instanceof Error ? ladders : [...(instant instanceof Error ? [] : instant), ...(ladders instanceof Error ? [] : ladders)];
  render(byId('vod-list'), byId('vod-status'), entries, 'No VOD assets yet.', vodUrl, (a) =>
    item(a.name, playerLink(a.url, location.href), vodDetails(a), a.instant ? 'replay' : undefined),
  );
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
