/**
 * Pure: whether the transcoder's ABR ladder has replaced an instant VOD. The recorder names each
 * part of a publish `<name>-<unix seconds>` (seconds at which the part opened, never before the
 * publish began), and the transcoder publishes a part's ladder in the egress folder of that name
 * with a MANIFEST.M3U8. So a ladder folder `<name>-<t>` with t within the publish replaces it.
 * Returns the replacing folder, or undefined.
 */
export function replacingLadder(name: string, startedAtMs: number, endedAtMs: number, ladderFolders: Iterable<string>): string | undefined {
  const from = Math.floor(startedAtMs / 1000);
  const to = Math.ceil(endedAtMs / 1000);
  for (const folder of ladderFolders) {
    if (!folder.startsWith(`${name}-`)) continue;
    const rest = folder.slice(name.length + 1);
    if (!/^\d{1,12}$/.test(rest)) continue;
    const t = Number(rest);
    if (t >= from && t <= to) return folder;
  }
  return undefined;
}
