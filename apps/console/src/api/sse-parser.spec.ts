import { describe, expect, it } from 'vitest';
import { SseParser } from './sse-parser.js';

describe('SseParser', () => {
  it('reads named events as Nest writes them, across chunk boundaries', () => {
    const parser = new SseParser();
    const text =
      'event: gateway.presence\nid: 1\ndata: {"kind":"gateway.presence","gatewayId":"g1"}\n\n' +
      'event: keep-alive\ndata: {}\n\n';
    const events = Array.from(text, (ch) => parser.push(ch)).flat();
    expect(events).toEqual([
      { event: 'gateway.presence', id: '1', data: '{"kind":"gateway.presence","gatewayId":"g1"}' },
      { event: 'keep-alive', id: '1', data: '{}' },
    ]);
  });

  it('joins data lines, ignores comments, accepts CRLF and defaults the name', () => {
    const parser = new SseParser();
    expect(parser.push(': hello\r\ndata: a\r\ndata:b\r\n\r\n')).toEqual([
      { event: 'message', data: 'a\nb' },
    ]);
    expect(parser.push('data: x\r')).toEqual([]);
    expect(parser.push('\n\r\n')).toEqual([{ event: 'message', data: 'x' }]);
  });

  it('dispatches nothing for a blank event', () => {
    const parser = new SseParser();
    expect(parser.push('event: lonely\n\n')).toEqual([]);
    expect(parser.push('data: 1\n\n')).toEqual([{ event: 'message', data: '1' }]);
  });
});
