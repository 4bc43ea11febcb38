import { setting } from '../config/config';
import { list, pattern, string } from '../config/parsers';
import type { Clock } from '../clock';
import { PlaybackGate } from './playback-gate';

/** The playback token settings edge and origin share (the same values on both, and in the CloudFront Function). */
export const playbackSettings = {
  playbackHmacSecret: setting('PLAYBACK_HMAC_SECRET', '', string, 'when set, media under PLAYBACK_TOKEN_PATHS needs a playback token (/t/<token>/path or ?token=) signed with it (`node dist/edge.js sign-url`); the token is checked and stripped, never cached or sent upstream (empty = off)', { secret: true }),
  playbackHmacSecretPrevious: setting('PLAYBACK_HMAC_SECRET_PREVIOUS', '', string, 'while rotating PLAYBACK_HMAC_SECRET: tokens signed with this older secret are accepted too', { secret: true }),
  playbackTokenPaths: setting(
    'PLAYBACK_TOKEN_PATHS',
    ['/hls', '/vod', '!/vod/index.json', '/vod-live', '!/vod-live/index.json'] as readonly string[],
    list(pattern(/^!?\/[A-Za-z0-9._~!$&'()*+,;=:@/-]*$/, 'an absolute path, or !path to leave it open')),
    'comma-separated paths (on segment boundaries) that need a playback token while PLAYBACK_HMAC_SECRET is set; !path leaves a path below them open',
  ),
};

export interface PlaybackConfig {
  readonly playbackHmacSecret: string;
  readonly playbackHmacSecretPrevious: string;
  readonly playbackTokenPaths: readonly string[];
}

export function playbackGateOf(config: PlaybackConfig, clock: Clock): PlaybackGate {
  return new PlaybackGate({
    // The previous secret only matters during a rotation, never on its own.
    secrets: config.playbackHmacSecret ? [config.playbackHmacSecret, config.playbackHmacSecretPrevious] : [],
    paths: config.playbackTokenPaths,
    now: () => clock.now(),
  });
}
