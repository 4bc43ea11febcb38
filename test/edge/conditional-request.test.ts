import t from 'tap';
import { isNotModified } from '../../src/edge/conditional-request';

const lm = 'Tue, 01 Jan 2030 00:00:00 GMT';

t.test('If-None-Match compares weakly and accepts lists and *', async (t) => {
  t.equal(isNotModified({ 'if-none-match': '"abc"' }, '"abc"', lm), true);
  t.equal(isNotModified({ 'if-none-match': 'W/"abc"' }, '"abc"', lm), true);
  t.equal(isNotModified({ 'if-none-match': '"x", "abc"' }, 'W/"abc"', lm), true);
  t.equal(isNotModified({ 'if-none-match': '*' }, '"abc"', lm), true);
  t.equal(isNotModified({ 'if-none-match': '"x"' }, '"abc"', lm), false);
  t.equal(isNotModified({ 'if-none-match': '"x"' }, undefined, lm), false);
});

t.test('If-None-Match decides alone when present', async (t) => {
  t.equal(isNotModified({ 'if-none-match': '"x"', 'if-modified-since': lm }, '"abc"', lm), false);
});

t.test('If-Modified-Since compares dates', async (t) => {
  t.equal(isNotModified({ 'if-modified-since': lm }, undefined, lm), true);
  t.equal(isNotModified({ 'if-modified-since': 'Wed, 02 Jan 2030 00:00:00 GMT' }, undefined, lm), true);
  t.equal(isNotModified({ 'if-modified-since': 'Mon, 31 Dec 2029 00:00:00 GMT' }, undefined, lm), false);
  t.equal(isNotModified({ 'if-modified-since': 'garbage' }, undefined, lm), false);
  t.equal(isNotModified({ 'if-modified-since': lm }, undefined, undefined), false);
  t.equal(isNotModified({}, '"abc"', lm), false);
});
