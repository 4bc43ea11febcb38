import t from 'tap';
import { pickVariant, startSequence } from '../../src/loadtest/player-viewer';

t.test('a player picks the highest-bandwidth variant', async (t) => {
  t.equal(pickVariant([{ uri: 'a', bandwidth: 800_000 }, { uri: 'b', bandwidth: 5_000_000 }, { uri: 'c', bandwidth: 2_000_000 }])!.uri, 'b');
  t.equal(pickVariant([]), undefined);
});

t.test('a player joins a live playlist a few segments from the edge, a VOD one at the start', async (t) => {
  const segs = Array.from({ length: 6 }, (_, i) => ({ uri: `${i}.ts`, duration: 2 }));
  t.equal(startSequence({ targetDuration: 2, mediaSequence: 40, segments: segs, endList: false }, 3), 43);
  t.equal(startSequence({ targetDuration: 2, mediaSequence: 40, segments: segs.slice(0, 2), endList: false }, 3), 40, 'short window: from its start');
  t.equal(startSequence({ targetDuration: 2, mediaSequence: 0, segments: segs, endList: true }, 3), 0);
});
