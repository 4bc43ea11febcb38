import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The folder a store or queue setting names when it is local: a `file:` URL or a plain path
 * (relative to the working directory). `bad` builds the error for a malformed file URL or a
 * scheme nobody handles, so the message names the setting.
 */
export function localFolderOf(url: string, bad: (why: string) => Error): string {
  if (url.startsWith('file:')) {
    try {
      return fileURLToPath(url);
    } catch (err) {
      throw bad(`is not a valid file URL (${(err as Error).message})`);
    }
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) throw bad('has an unsupported scheme');
  return isAbsolute(url) ? url : resolve(url);
}
