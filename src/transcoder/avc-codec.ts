/**
 * The RFC 6381 codec string of an H.264 stream (`avc1.PPCCLL`: profile_idc, the constraint flags
 * byte and level_idc, as hex) read from the stream's own SPS, so CODECS in the master says exactly
 * what the encoder produced (x264 picks the level, and the preset decides the profile).
 */

/** ffprobe's `-show_data` hex dump ("00000000: 0000 0167 42c0 ...  ...gB") -> bytes. Pure. */
export function hexDumpToBuffer(dump: string): Buffer {
  const bytes: number[] = [];
  for (const line of dump.split('\n')) {
    const m = /^\s*[0-9a-f]{8}: (.*)$/i.exec(line);
    if (!m) continue;
    // The hex columns end at the double space before the ASCII column.
    const hex = m[1].split('  ')[0].replace(/\s+/g, '');
    if (!/^[0-9a-f]*$/i.test(hex)) continue;
    for (let i = 0; i + 1 < hex.length; i += 2) bytes.push(parseInt(hex.slice(i, i + 2), 16));
  }
  return Buffer.from(bytes);
}

const hex2 = (n: number): string => n.toString(16).padStart(2, '0');

/**
 * From H.264 extradata: an avcC record (first byte 1: profile, compatibility, level follow) or
 * Annex B (start codes; the SPS is NAL type 7). undefined when there is no SPS. Pure.
 */
export function avcCodecString(extradata: Buffer): string | undefined {
  if (extradata.length >= 4 && extradata[0] === 1) {
    return `avc1.${hex2(extradata[1])}${hex2(extradata[2])}${hex2(extradata[3])}`;
  }
  for (let i = 0; i + 3 < extradata.length; i++) {
    if (extradata[i] !== 0 || extradata[i + 1] !== 0 || extradata[i + 2] !== 1) continue;
    const nal = i + 3;
    if ((extradata[nal] & 0x1f) === 7 && nal + 3 < extradata.length) {
      return `avc1.${hex2(extradata[nal + 1])}${hex2(extradata[nal + 2])}${hex2(extradata[nal + 3])}`;
    }
  }
  return undefined;
}

/** profile_idc for ffprobe's profile names (for checks against what ffprobe reports). Pure. */
export function avcProfileIdc(profile: string): number | undefined {
  const table: Record<string, number> = {
    'Constrained Baseline': 66,
    Baseline: 66,
    Main: 77,
    Extended: 88,
    High: 100,
    'High 10': 110,
    'High 4:2:2': 122,
    'High 4:4:4 Predictive': 244,
  };
  return table[profile];
}
