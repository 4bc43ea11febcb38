#!/usr/bin/env node
// Runs tap and ends with the plain line CI reads: "N passed, N failed".
// A test is a top-level t.test() in a test file; a file that fails outside its tests
// (a crash, a compile error) counts as one failed test.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';

// With no arguments: every test/**/*.test.ts (harness and fixture files are not tests).
const args = process.argv.slice(2).length
  ? process.argv.slice(2)
  : readdirSync('test', { recursive: true }).filter((f) => f.endsWith('.test.ts')).map((f) => `test/${f}`).sort();
const child = spawn(process.execPath, ['node_modules/tap/dist/esm/run.mjs', '--reporter=tap', ...args], {
  stdio: ['ignore', 'pipe', 'inherit'],
});

let passed = 0;
let failed = 0;
let skipped = 0;
let fileFailures = 0;
let buf = '';
const failures = [];
let currentFile = '';

function onLine(line) {
  const file = /^# Subtest: (.*)$/.exec(line);
  if (file) {
    currentFile = file[1];
    fileFailures = 0;
    return;
  }
  const m = /^( {4})?(not )?ok \d+ - (.*?)(?: # (SKIP|TODO|time=).*)?$/.exec(line);
  if (!m) return;
  const nested = m[1] !== undefined;
  const ok = m[2] === undefined;
  if (nested) {
    if (/^# (SKIP|TODO)/.test(line.slice(line.indexOf(' # ')).trim()) || / # (SKIP|TODO)/.test(line)) skipped++;
    else if (ok) passed++;
    else {
      failed++;
      fileFailures++;
      failures.push(`${currentFile}: ${m[3]}`);
    }
  } else if (!ok && fileFailures === 0) {
    failed++;
    failures.push(`${m[3]}: failed outside its tests (see output above)`);
  }
}

child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  buf += chunk.toString('utf8');
  let i;
  while ((i = buf.indexOf('\n')) >= 0) {
    onLine(buf.slice(0, i));
    buf = buf.slice(i + 1);
  }
});

child.on('close', (code) => {
  if (buf) onLine(buf);
  if (failures.length) {
    process.stdout.write('\nFailed:\n' + failures.map((f) => `  - ${f}`).join('\n') + '\n');
  }
  const tail = skipped ? `, ${skipped} skipped` : '';
  process.stdout.write(`\n${passed} passed, ${failed} failed${tail}\n`);
  process.exit(failed > 0 || code !== 0 || passed === 0 ? 1 : 0);
});
