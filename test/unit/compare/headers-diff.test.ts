import { describe, expect, it } from 'vitest';
import { diffHeaders } from '../../../src/compare/headers-diff.js';

describe('diffHeaders', () => {
  it('ignores volatile and hop-by-hop headers by default', () => {
    const a = {
      date: 'Mon',
      'x-request-id': '1',
      server: 'a',
      etag: '"1"',
      'content-length': '10',
      'x-fieldlab-arm': 'control',
      age: '1',
      'last-modified': 'x',
      via: '1.1 a',
      'x-amzn-trace-id': 'r',
      traceparent: 't',
      'content-type': 'application/json',
    };
    const b = {
      date: 'Tue',
      'x-request-id': '2',
      server: 'b',
      etag: '"2"',
      'content-length': '12',
      'x-fieldlab-route': 'r',
      connection: 'close',
      'transfer-encoding': 'chunked',
      'keep-alive': 'x',
      'content-type': 'application/json',
    };
    expect(diffHeaders(a, b)).toEqual({ fields: [], compared: ['header:content-type'] });
  });
  it('reports added, removed and changed values', () => {
    const d = diffHeaders(
      { 'cache-control': 'no-store', 'x-old': '1', vary: ['accept', 'origin'] },
      { 'Cache-Control': 'max-age=60', 'x-new': '1', vary: 'accept, origin' },
    );
    expect(d.fields).toEqual([
      { field: 'header:cache-control', kind: 'value', primary: '"no-store"', candidate: '"max-age=60"' },
      { field: 'header:x-old', kind: 'removed', primary: '"1"' },
      { field: 'header:x-new', kind: 'added', candidate: '"1"' },
    ]);
    expect(d.compared).toEqual(['header:cache-control', 'header:x-old', 'header:vary', 'header:x-new']);
  });
  it('compares set-cookie by cookie names only', () => {
    expect(diffHeaders({ 'set-cookie': ['sid=abc; Path=/', 'csrf=1'] }, { 'set-cookie': ['csrf=2', 'sid=xyz; HttpOnly'] }).fields).toEqual(
      [],
    );
    expect(diffHeaders({ 'set-cookie': ['sid=abc', 'csrf=1'] }, { 'set-cookie': 'sid=xyz' }).fields).toEqual([
      { field: 'header:set-cookie', kind: 'value', primary: '"csrf, sid"', candidate: '"sid"' },
    ]);
  });
  it('adds rule ignores, with header: prefixes and * prefixes', () => {
    const d = diffHeaders({ 'x-cache': 'HIT', 'x-b3-trace': '1', 'x-keep': 'a' }, { 'x-cache': 'MISS', 'x-b3-trace': '2', 'x-keep': 'a' }, [
      'header:x-cache',
      'x-b3-*',
    ]);
    expect(d).toEqual({ fields: [], compared: ['header:x-keep'] });
  });
});
