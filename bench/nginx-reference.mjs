// The reference origin (nginx + nginx-rtmp from Debian, ../shared/reference/nginx-origin.conf) on loopback,
// shared by the benchmarks that compare against it.
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Waits until `url` answers below 500 (about 15 s at most). */
export async function waitHttp(url) {
  for (let i = 0; i < 150; i++) {
    try { if ((await fetch(url)).status < 500) return; } catch {}
    await sleep(100);
  }
  throw new Error(`${url} did not come up`);
}

/**
 * Starts nginx-rtmp under `work` with the given HLS fragment and playlist lengths (seconds); undefined when
 * nginx or its rtmp module is not installed. RTMP on 19350, HTTP on 18080, as the reference config says.
 */
export async function startNginxOrigin(work, { fragment, playlist }) {
  const conf = resolve('../shared/reference/nginx-origin.conf');
  if (!existsSync('/usr/lib/nginx/modules/ngx_rtmp_module.so') || !existsSync(conf)) return undefined;
  const prefix = join(work, 'nginx');
  for (const d of ['hls', 'rec', 'logs']) mkdirSync(join(prefix, d), { recursive: true });
  // nginx's workers run as www-data: the folders it writes must be open to them.
  chmodSync(work, 0o777);
  for (const d of ['', 'hls', 'rec', 'logs']) chmodSync(join(prefix, d), 0o777);
  const text = readFileSync(conf, 'utf8')
    .replace(/FRAGMENT/g, `${fragment}s`).replace(/PLAYLIST/g, `${playlist}s`)
    .replace(/hls_path hls;/, `hls_path ${prefix}/hls;`).replace(/record_path rec;/, `record_path ${prefix}/rec;`)
    .replace(/root \.;/g, `root ${prefix};`);
  writeFileSync(join(prefix, 'origin.conf'), text);
  const proc = spawn('nginx', ['-p', prefix, '-c', join(prefix, 'origin.conf')], { stdio: 'ignore' });
  await waitHttp('http://127.0.0.1:18080/hls/none.m3u8');
  return {
    pid: proc.pid,
    rtmpBase: 'rtmp://127.0.0.1:19350/live',
    httpBase: 'http://127.0.0.1:18080',
    stop: async () => {
      proc.kill('SIGQUIT');
      await new Promise((r) => (proc.exitCode !== null ? r() : proc.once('exit', r)));
    },
  };
}
