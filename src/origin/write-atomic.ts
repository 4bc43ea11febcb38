import { rename, writeFile } from 'node:fs/promises';

/**
 * Writes `path` whole or not at all, as a reader (the HTTP server, a restart) sees it: the data goes to
 * `<path>.tmp`, then is renamed over `path`. One writer per path at a time (callers queue their writes).
 */
export async function writeAtomic(path: string, data: Buffer | string): Promise<void> {
  await writeFile(`${path}.tmp`, data);
  await rename(`${path}.tmp`, path);
}
