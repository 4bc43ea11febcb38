import { escapeHtml } from './svg-chart';

/** The HTML shell both reports share: one file, inline styles, no script, no external resource. */
const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;max-width:940px;color:#1d2330;padding:0 12px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #dde2ea;padding-bottom:4px}
.meta{color:#566074;margin:0 0 16px}
.cards{display:flex;flex-wrap:wrap;gap:10px}.card{border:1px solid #dde2ea;border-radius:6px;padding:8px 12px;min-width:120px}
.card b{display:block;font-size:20px}.card span{color:#566074;font-size:12px}
.card.bad b{color:#b3261e}
table{border-collapse:collapse;width:100%;margin:6px 0}th,td{padding:4px 8px;border-bottom:1px solid #eef1f5;text-align:right}
th:first-child,td:first-child{text-align:left}th{background:#f5f7fa;font-weight:600}
figure.chart{margin:18px 0}figcaption{font-weight:600;margin-bottom:2px}
.legend{font-size:12px;color:#384152;margin-bottom:2px}.key{margin-right:14px;white-space:nowrap}
.swatch{display:inline-block;width:12px;height:3px;vertical-align:middle;margin-right:4px}
svg{max-width:100%;height:auto;background:#fff}svg .grid{stroke:#eef1f5}svg .axis{stroke:#9aa3b2}
svg .tick{font-size:11px;fill:#566074}svg .label{font-size:12px;fill:#384152}
.note{color:#566074;font-size:12px}
`;

export function reportPage(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body>${body}</body></html>
`;
}

export interface Column<R> {
  head: string;
  cell: (r: R) => string | number;
}

export function table<R>(rows: readonly R[], cols: readonly Column<R>[]): string {
  const head = cols.map((c) => `<th>${escapeHtml(c.head)}</th>`).join('');
  const body = rows.map((r) => `<tr>${cols.map((c) => `<td>${escapeHtml(String(c.cell(r)))}</td>`).join('')}</tr>`).join('');
  return `<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

export function card(label: string, value: string, bad = false): string {
  return `<div class="card${bad ? ' bad' : ''}"><b>${escapeHtml(value)}</b><span>${escapeHtml(label)}</span></div>`;
}

export function ms(n: number): string {
  return n >= 1000 ? `${(n / 1000).toFixed(2)} s` : `${n >= 10 ? n.toFixed(0) : n.toFixed(1)} ms`;
}

export function bytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(2)} GiB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} B`;
}

export function bitRate(bps: number): string {
  if (bps >= 1e9) return `${(bps / 1e9).toFixed(2)} Gbit/s`;
  if (bps >= 1e6) return `${(bps / 1e6).toFixed(1)} Mbit/s`;
  return `${(bps / 1e3).toFixed(0)} kbit/s`;
}

export function percent(x: number | undefined): string {
  return x === undefined ? 'n/a' : `${(x * 100).toFixed(1)} %`;
}
