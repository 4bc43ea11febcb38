/**
 * The codec string of ISO/IEC 14496-15 E.3 (`hvc1.1.6.L93.B0`) from an HEVCDecoderConfigurationRecord's general
 * profile fields (its first 13 bytes). Shared by the origin (Enhanced RTMP records) and the transcoder (the hvcC
 * of its own renditions). Pure; throws on a record too short to hold those fields.
 */
export function hevcCodecString(record: Buffer): string {
  if (record.length < 13) throw new Error(`HEVCDecoderConfigurationRecord of ${record.length} bytes has no profile fields`);
  const space = ['', 'A', 'B', 'C'][record[1]! >> 6]!;
  const tier = record[1]! & 0x20 ? 'H' : 'L';
  const profile = record[1]! & 0x1f;
  // The 32 compatibility flags are written in reverse bit order, in hex without leading zeros.
  let compat = record.readUInt32BE(2);
  let reversed = 0;
  for (let i = 0; i < 32; i++) {
    reversed = (reversed << 1) | (compat & 1);
    compat >>>= 1;
  }
  const constraints = [...record.subarray(6, 12)];
  while (constraints.length && constraints.at(-1) === 0) constraints.pop();
  const level = record[12]!;
  return [`hvc1`, `${space}${profile}`, (reversed >>> 0).toString(16).toUpperCase(), `${tier}${level}`, ...constraints.map((b) => b.toString(16).toUpperCase())].join('.');
}
