import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderComparison } from './report-compare';
import { renderRunReport } from './report-html';
import { checkRunReport, type RunReport } from './run-report';

/** Where reports land: report.json (raw figures) and index.html in the run's folder; compare.html for two runs. */
export async function writeRunReport(dir: string, report: RunReport): Promise<{ html: string; json: string }> {
  await mkdir(dir, { recursive: true });
  const json = join(dir, 'report.json');
  const html = join(dir, 'index.html');
  await writeFile(json, JSON.stringify(report) + '\n');
  await writeFile(html, renderRunReport(report));
  return { html, json };
}

export async function readRunReport(path: string): Promise<RunReport> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read ${path}: ${(err as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new Error(`${path} is not JSON: ${(err as Error).message}`);
  }
  return checkRunReport(data, path);
}

export async function writeComparison(dir: string, a: RunReport, b: RunReport): Promise<string> {
  await mkdir(dir, { recursive: true });
  const html = join(dir, 'compare.html');
  await writeFile(html, renderComparison(a, b));
  return html;
}
