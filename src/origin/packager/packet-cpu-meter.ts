import { Counter, type Registry } from 'prom-client';

/**
 * The CPU time the in-process packager spends on each packet, summed over every stream
 * (process.cpuUsage around the packet handler: the part, segment and recording writes it makes
 * count too; I/O done later on libuv's threads does not).
 */
export class PacketCpuMeter {
  packets = 0;
  micros = 0;

  start(): NodeJS.CpuUsage {
    return process.cpuUsage();
  }

  stop(before: NodeJS.CpuUsage): void {
    const d = process.cpuUsage(before);
    this.packets++;
    this.micros += d.user + d.system;
  }

  /** `spherecast_origin_packager_packets_total` and `..._cpu_seconds_total`, read at scrape time. */
  register(registry: Registry): void {
    const meter = this;
    let packets = 0;
    let micros = 0;
    new Counter({
      name: 'spherecast_origin_packager_packets_total', help: 'FLV packets handed to the in-process packager (HLS_FORMAT=fmp4)', registers: [registry],
      collect() { this.inc(meter.packets - packets); packets = meter.packets; },
    });
    new Counter({
      name: 'spherecast_origin_packager_cpu_seconds_total', help: 'CPU seconds spent in the in-process packager\'s packet handler, recording writes included', registers: [registry],
      collect() { this.inc((meter.micros - micros) / 1e6); micros = meter.micros; },
    });
  }
}
