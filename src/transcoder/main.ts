import { resolve } from 'node:path';
import { checkFfmpeg } from '../shared/ffmpeg-check';
import { runProgram } from '../shared/program';
import { scError, type SpherecastError } from '../shared/errors';
import { transcodeSettings, transcoderSchema } from './config';
import { TranscodeJob } from './transcode';
import { startWorker } from './service';

void runProgram({
  name: 'transcoder',
  summary: 'queue-driven ffmpeg worker: recordings in, adaptive-bitrate HLS (MANIFEST.M3U8) out',
  schema: transcoderSchema,
  usage: ['node dist/transcoder.js transcode INPUT OUTDIR   (one local file, no queue or store)'],
  // A graceful stop hands running jobs back to the queue; give slow stores time, but not forever.
  shutdownTimeoutMs: () => 60_000,
  async start(config, log, cli) {
    await checkFfmpeg(config.ffmpegPath, config.ffprobePath);
    const [command, ...args] = cli.positionals;
    if (command === undefined) return startWorker(config, log);
    if (command !== 'transcode' || args.length !== 2) {
      throw scError('SC_ERR_CONFIG', `usage: node dist/transcoder.js transcode INPUT OUTDIR (got "${cli.positionals.join(' ')}")`);
    }
    const [input, outDir] = args.map((a) => resolve(a));
    const job = new TranscodeJob({
      input,
      outDir,
      ...transcodeSettings(config),
      log,
      onProgress: (p) => log.info(p, 'progress'),
    });
    let stopping = false;
    job.run().then(
      (r) => {
        log.info({ outDir, masters: r.masters, renditions: r.renditions.length, wallSeconds: r.wallSeconds, speed: r.speed }, 'transcode done');
        setImmediate(() => process.exit(0));
      },
      (err) => {
        if (stopping) return;
        log.error({ err, code: (err as SpherecastError).code }, `transcode failed: ${(err as Error).message}`);
        process.stderr.write(`transcoder: ${(err as Error).message}\n`);
        setImmediate(() => process.exit(1));
      },
    );
    return {
      async close() {
        stopping = true;
        job.stop();
      },
    };
  },
});
