import { Counter, type Registry } from 'prom-client';

/**
 * One packet in this many is timed: process.cpuUsage is a getrusage call over every thread of the
 * process, measured at 3.8 µs of CPU (34 µs of wall time at a load average of 35 on 2 cores), near
 * the cost of packaging a packet (about 5 µs). At 64 an origin with 8 streams times about 10 packets
 * a second, plenty for a per-packet average over a scrape interval.
 */
const SAMPLE_EVERY = 64;

/**
 * The CPU time the in-process packager spends on each packet, summed over every stream:
 * process.cpuUsage around the packet handler of one packet in SAMPLE_EVERY, scaled to all of
 * them. The part, segment and recording writes the handler makes count; file I/O that libuv's
 * threads do afterwards does not, except what runs during a timed packet (getrusage counts the
 * whole process), so on a busy machine it reads a little high.
 */
export class PacketCpuMeter {
  packets = 0;
  private sampled = 0;
  private sampledMicros = 0;

  /** A start mark when this packet is timed, else undefined. */
  start(): NodeJS.CpuUsage | undefined {
    return this.packets++ % SAMPLE_EVERY === 0 ? process.cpuUsage() : undefined;
  }

  stop(mark: NodeJS.CpuUsage | undefined): void {
    if (!mark) return;
    const d = process.cpuUsage(mark);
    this.sampled++;
    this.sampledMicros += d.user + d.system;
  }

  /** Estimated CPU seconds of every packet so far. */
  get seconds(): number {
    return this.sampled ? (this.sampledMicros / this.sampled) * this.packets / 1e6 : 0;
  }

  /** `spherecast_origin_packager_packets_total` and `..._cpu_seconds_total`, read at scrape time. */
  register(registry: Registry): void {
    const meter = this;
    let packets = 0;
    let seconds = 0;
    new Counter({
      name: 'spherecast_origin_packager_packets_total', help: 'FLV packets handed to the in-process packager (HLS_FORMAT=fmp4)', registers: [registry],
      collect() { this.inc(meter.packets - packets); packets = meter.packets; },
    });
    new Counter({
      name: 'spherecast_origin_packager_cpu_seconds_total', help: 'CPU seconds in the in-process packager\'s packet handler, recording writes included (estimated from one packet in 64)', registers: [registry],
      collect() {
        // An estimate can dip as samples come in; a counter only goes up.
        const now = Math.max(seconds, meter.seconds);
        this.inc(now - seconds);
        seconds = now;
      },
    });
  }
}
