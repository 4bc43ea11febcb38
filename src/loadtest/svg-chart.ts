/**
 * Line charts as inline SVG, drawn when the report is written: the report is one self-contained file that
 * opens anywhere (no script, no network, no library to inline) and stays readable when printed or archived.
 */
export interface Series {
  name: string;
  color: string;
  /** [x, y]; a null y breaks the line. */
  points: ReadonlyArray<readonly [number, number | null]>;
  dashed?: boolean;
}

export interface ChartSpec {
  id: string;
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly Series[];
  /** Fixed top of the y axis (e.g. 100 for percentages); otherwise from the data. */
  yMax?: number;
  width?: number;
  height?: number;
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A round step (1, 2 or 5 × 10^n) giving about `ticks` intervals up to `max`. */
export function niceStep(max: number, ticks = 5): number {
  if (!(max > 0)) return 1;
  const raw = max / ticks;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

export function formatNumber(n: number): string {
  if (n === 0) return '0';
  const a = Math.abs(n);
  if (a >= 1e9) return `${+(n / 1e9).toFixed(2)}G`;
  if (a >= 1e6) return `${+(n / 1e6).toFixed(2)}M`;
  if (a >= 1e4) return `${+(n / 1e3).toFixed(1)}k`;
  if (a >= 100) return String(Math.round(n));
  if (a >= 1) return String(+n.toFixed(2));
  return String(+n.toPrecision(2));
}

export function lineChart(spec: ChartSpec): string {
  const W = spec.width ?? 880;
  const H = spec.height ?? 260;
  const m = { left: 64, right: 16, top: 12, bottom: 40 };
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;
  let xMax = 0;
  let yMaxData = 0;
  for (const s of spec.series) {
    for (const [x, y] of s.points) {
      xMax = Math.max(xMax, x);
      if (y !== null && Number.isFinite(y)) yMaxData = Math.max(yMaxData, y);
    }
  }
  const yStep = niceStep(spec.yMax ?? yMaxData);
  const yTop = spec.yMax ?? Math.max(yStep, Math.ceil(yMaxData / yStep) * yStep);
  const xStep = niceStep(xMax || 1, 8);
  const xTop = Math.max(xStep, Math.ceil((xMax || 1) / xStep) * xStep);
  const sx = (x: number) => m.left + (x / xTop) * pw;
  const sy = (y: number) => m.top + ph - (Math.min(y, yTop) / yTop) * ph;
  const parts: string[] = [];
  for (let y = 0; y <= yTop + 1e-9; y += yStep) {
    parts.push(`<line class="grid" x1="${m.left}" x2="${m.left + pw}" y1="${sy(y).toFixed(1)}" y2="${sy(y).toFixed(1)}"/>`);
    parts.push(`<text class="tick" x="${m.left - 6}" y="${(sy(y) + 4).toFixed(1)}" text-anchor="end">${formatNumber(y)}</text>`);
  }
  for (let x = 0; x <= xTop + 1e-9; x += xStep) {
    parts.push(`<text class="tick" x="${sx(x).toFixed(1)}" y="${m.top + ph + 16}" text-anchor="middle">${formatNumber(x)}</text>`);
  }
  parts.push(`<line class="axis" x1="${m.left}" x2="${m.left}" y1="${m.top}" y2="${m.top + ph}"/>`);
  parts.push(`<line class="axis" x1="${m.left}" x2="${m.left + pw}" y1="${m.top + ph}" y2="${m.top + ph}"/>`);
  parts.push(`<text class="label" x="${m.left + pw / 2}" y="${H - 6}" text-anchor="middle">${escapeHtml(spec.xLabel)}</text>`);
  parts.push(`<text class="label" transform="translate(14 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle">${escapeHtml(spec.yLabel)}</text>`);
  const drawn = parts.length;
  for (const s of spec.series) {
    let run: string[] = [];
    const flush = () => {
      if (run.length === 1) parts.push(`<circle data-series="${escapeHtml(s.name)}" cx="${run[0].split(',')[0]}" cy="${run[0].split(',')[1]}" r="2" fill="${s.color}"/>`);
      else if (run.length > 1) {
        parts.push(`<polyline data-series="${escapeHtml(s.name)}" fill="none" stroke="${s.color}" stroke-width="1.6"${s.dashed ? ' stroke-dasharray="5 3"' : ''} points="${run.join(' ')}"/>`);
      }
      run = [];
    };
    for (const [x, y] of s.points) {
      if (y === null || !Number.isFinite(y)) flush();
      else run.push(`${sx(x).toFixed(1)},${sy(y).toFixed(1)}`);
    }
    flush();
  }
  if (parts.length === drawn) {
    parts.push(`<text class="label" x="${m.left + pw / 2}" y="${m.top + ph / 2}" text-anchor="middle">no data</text>`);
  }
  const legend = spec.series
    .map((s) => `<span class="key"><span class="swatch" style="background:${s.color}"></span>${escapeHtml(s.name)}</span>`)
    .join('');
  return `<figure class="chart" id="${escapeHtml(spec.id)}"><figcaption>${escapeHtml(spec.title)}</figcaption><div class="legend">${legend}</div><svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeHtml(spec.title)}">${parts.join('')}</svg></figure>`;
}
