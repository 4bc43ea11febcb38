import { loadConfig } from '../shared/config/config';
import { seconds } from '../shared/config/parsers';
import { signedPrefix } from '../shared/playback/playback-token';
import { edgeSchema } from './config';

export const SIGN_URL_USAGE = 'node dist/edge.js sign-url PATH_PREFIX [--ttl 2h] [--config FILE]   (prints /t/<token>PATH_PREFIX, signed with PLAYBACK_HMAC_SECRET)';
const DEFAULT_TTL_SECONDS = 3600;
const parseTtl = seconds({ min: 1, max: 10 * 365 * 86400 });

/**
 * `sign-url`: the signed path prefix for operators and scripts. Any path the token covers is
 * appended to the output (`/t/<token>/hls/test` + `.m3u8`). The secret comes from the edge's
 * own configuration (environment or --config), never from the command line, where it would be
 * seen in process listings and shell history.
 */
export function signUrlCommand(argv: readonly string[], env: NodeJS.ProcessEnv, nowMs: number): { code: number; out: string } {
  let ttl = DEFAULT_TTL_SECONDS;
  let configFile: string | undefined;
  const positionals: string[] = [];
  try {
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i]!;
      const [name, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
      const value = (): string => {
        const v = inline ?? argv[++i];
        if (v === undefined) throw new Error(`${name} needs a value`);
        return v;
      };
      if (name === '--help' || name === '-h') return { code: 0, out: `usage: ${SIGN_URL_USAGE}\n` };
      if (name === '--ttl') ttl = parseTtl(value());
      else if (name === '--config' || name === '-c') configFile = value();
      else if (name.startsWith('-')) throw new Error(`unknown option ${name}`);
      else positionals.push(a);
    }
    if (positionals.length !== 1) throw new Error('exactly one path prefix, e.g. /hls/test');
    const config = loadConfig(edgeSchema, { env, configFile });
    if (!config.playbackHmacSecret) throw new Error('PLAYBACK_HMAC_SECRET is not set (environment or --config)');
    const expires = Math.floor(nowMs / 1000) + Math.round(ttl);
    return { code: 0, out: `${signedPrefix(config.playbackHmacSecret, { prefix: positionals[0]!, expires })}\n` };
  } catch (err) {
    return { code: 1, out: `edge sign-url: ${(err as Error).message}\nusage: ${SIGN_URL_USAGE}\n` };
  }
}
