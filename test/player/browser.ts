// Headless Chromium for player tests, importable by any test that needs to watch a stream play in the real
// player: launch, open the player, wait for playback, collect page errors, check a screenshot is not blank.
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

// WebGL works in headless Chromium through SwiftShader (software); recent versions only allow that fallback with
// --enable-unsafe-swiftshader. Audio/video autoplay without a gesture so "muted autoplay" is not what is tested.
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--autoplay-policy=no-user-gesture-required',
  '--enable-unsafe-swiftshader',
];

export const VIEWPORT = { width: 960, height: 540 };

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

/**
 * The player page URL for a stream. `publicBase` is where public/ is served, ending in "/" (e.g.
 * "http://127.0.0.1:8080/"); `streamUrl` may be absolute or relative to that page.
 */
export function playerUrl(publicBase: string, streamUrl: string, params: Record<string, string> = {}): string {
  const u = new URL('player.html', publicBase);
  u.searchParams.set('url', streamUrl);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  return u.href;
}

export interface PlayerSession {
  page: Page;
  /** Uncaught exceptions in the page (page.on('pageerror')). */
  pageErrors: Error[];
  /** console.error lines, for diagnosing failures. */
  consoleErrors: string[];
  close(): Promise<void>;
}

/**
 * Opens a page (new context, fixed viewport) and collects its errors; `url` may be left out to navigate later. A
 * smaller viewport makes software WebGL draw faster where only a few pixels are looked at.
 */
export async function openPage(browser: Browser, url?: string, viewport = VIEWPORT): Promise<PlayerSession> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const pageErrors: Error[] = [];
  const consoleErrors: string[] = [];
  page.on('pageerror', (err) => pageErrors.push(err));
  page.on('console', (msg) => {
    if (msg.type() === 'error') consoleErrors.push(msg.text());
  });
  if (url) await page.goto(url, { waitUntil: 'load' });
  return { page, pageErrors, consoleErrors, close: () => context.close() };
}

export const openPlayer = openPage;

export interface Playback {
  from: number;
  to: number;
}

/**
 * Waits until the player's video has started and then played `seconds` more. The timeout is a generous upper
 * bound against a hang, not a performance expectation.
 */
export async function waitForPlayback(page: Page, seconds: number, timeoutMs = 90_000): Promise<Playback> {
  await page.waitForFunction(
    () => {
      const v = document.getElementById('sc-video') as HTMLVideoElement | null;
      return v !== null && v.currentTime > 0 && !v.paused && v.readyState >= 2;
    },
    null,
    { timeout: timeoutMs, polling: 200 },
  );
  const from = await currentTime(page);
  await page.waitForFunction(
    (target) => {
      const v = document.getElementById('sc-video') as HTMLVideoElement | null;
      return v !== null && v.currentTime >= target;
    },
    from + seconds,
    { timeout: timeoutMs, polling: 200 },
  );
  return { from, to: await currentTime(page) };
}

export function currentTime(page: Page): Promise<number> {
  return page.evaluate(() => (document.getElementById('sc-video') as HTMLVideoElement).currentTime);
}

export interface ShownMessage {
  kind: string;
  title: string;
  detail: string;
}

/** The message card if it is visible. */
export function shownMessage(page: Page): Promise<ShownMessage | null> {
  return page.evaluate(() => {
    const box = document.getElementById('sc-message');
    if (!box || box.hidden || box.getClientRects().length === 0) return null;
    return {
      kind: box.dataset.kind ?? '',
      title: document.getElementById('sc-message-title')?.textContent ?? '',
      detail: document.getElementById('sc-message-detail')?.textContent ?? '',
    };
  });
}

/** Waits for the message card to show a title matching `title`. */
export async function waitForMessage(page: Page, title: RegExp, timeoutMs = 30_000): Promise<ShownMessage> {
  await page.waitForFunction(
    ([source, flags]) => {
      const box = document.getElementById('sc-message');
      const text = document.getElementById('sc-message-title')?.textContent ?? '';
      return box !== null && !box.hidden && new RegExp(source, flags).test(text);
    },
    [title.source, title.flags] as const,
    { timeout: timeoutMs, polling: 200 },
  );
  return (await shownMessage(page))!;
}

export interface ImageVariety {
  width: number;
  height: number;
  /** Distinct colours after reducing each channel to 5 bits. */
  distinctColors: number;
  /** Standard deviation of luminance (0-255). */
  lumaStdDev: number;
}

/**
 * Screenshots the middle of the viewport (where the video is, away from the controls) and measures how varied it
 * is. The PNG is decoded by the browser itself, so no image library is needed.
 */
export async function screenshotVariety(page: Page, file?: string): Promise<ImageVariety> {
  const clip = { x: VIEWPORT.width * 0.2, y: VIEWPORT.height * 0.25, width: VIEWPORT.width * 0.6, height: VIEWPORT.height * 0.5 };
  if (file) await page.screenshot({ path: file });
  const { mean: _mean, ...variety } = await screenshotStats(page, clip);
  return variety;
}

/**
 * Screenshots `clip` and measures it in the page (the PNG is decoded by the browser itself, so no image library is
 * needed, and only the figures come back): variety as in ImageVariety, and the mean colour.
 */
export async function screenshotStats(
  page: Page,
  clip: { x: number; y: number; width: number; height: number },
): Promise<ImageVariety & { mean: [number, number, number] }> {
  const png = await page.screenshot({ clip });
  return page.evaluate(async (b64) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const ctx = canvas.getContext('2d')!;
    ctx.drawImage(bitmap, 0, 0);
    const { data } = ctx.getImageData(0, 0, bitmap.width, bitmap.height);
    const colors = new Set<number>();
    const rgb = [0, 0, 0];
    let sum = 0;
    let sumSq = 0;
    const n = data.length / 4;
    for (let i = 0; i < data.length; i += 4) {
      const r = data[i];
      const g = data[i + 1];
      const b = data[i + 2];
      colors.add(((r >> 3) << 10) | ((g >> 3) << 5) | (b >> 3));
      rgb[0] += r;
      rgb[1] += g;
      rgb[2] += b;
      const y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
      sum += y;
      sumSq += y * y;
    }
    const mean = sum / n;
    return {
      width: bitmap.width,
      height: bitmap.height,
      distinctColors: colors.size,
      lumaStdDev: Math.sqrt(Math.max(0, sumSq / n - mean * mean)),
      mean: rgb.map((c) => Math.round(c / n)) as [number, number, number],
    };
  }, png.toString('base64'));
}

/** A frame of a test pattern has several colours and strong contrast; a blank or single-colour frame has neither. */
export function looksNonBlank(v: ImageVariety): boolean {
  return v.distinctColors >= 4 && v.lumaStdDev >= 10;
}

export interface PlaybackCheck extends Playback {
  /** Number of <a-scene> elements on the page (1 when the 360 player is up). */
  scenes: number;
  variety: ImageVariety;
  nonBlank: boolean;
  pageErrors: string[];
  session: PlayerSession;
}

/**
 * One call for "does this stream play in the player": opens `pageUrl` (see playerUrl), waits for `seconds` of
 * playback, then measures the screen. The caller asserts on the result and closes `session`.
 */
export async function checkPlayback(browser: Browser, pageUrl: string, seconds = 3, screenshotFile?: string): Promise<PlaybackCheck> {
  const session = await openPlayer(browser, pageUrl);
  const played = await waitForPlayback(session.page, seconds);
  const variety = await screenshotVariety(session.page, screenshotFile);
  return {
    ...played,
    scenes: await session.page.locator('a-scene').count(),
    variety,
    nonBlank: looksNonBlank(variety),
    pageErrors: session.pageErrors.map(String),
    session,
  };
}

/** Mean colour of a small square at the middle of the viewport (where the viewer looks), from a screenshot. */
export async function centreColour(page: Page, size = 8): Promise<[number, number, number]> {
  const { width, height } = page.viewportSize() ?? VIEWPORT;
  return (await screenshotStats(page, { x: width / 2 - size / 2, y: height / 2 - size / 2, width: size, height: size })).mean;
}
