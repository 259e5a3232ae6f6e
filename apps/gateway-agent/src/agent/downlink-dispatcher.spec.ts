import { describe, expect, it } from 'vitest';
import type { ControlMessage, DecodedDownlink } from '@fleet/contracts';
import { createAgentLogger } from './agent-logger.js';
import { DownlinkDispatcher } from './downlink-dispatcher.js';

const control: ControlMessage = { v: 1, type: 'control', action: 'resync', ts: 1 };
const downlink = (channel: 'control' | 'cmd', message: unknown): DecodedDownlink =>
  ({
    ok: true,
    topic: `fleet/v1/gw/gw-1/${channel}`,
    gatewayId: 'gw-1',
    channel,
    message,
  }) as DecodedDownlink;

describe('DownlinkDispatcher', () => {
  it('routes each channel to its handler and counts', async () => {
    const dispatcher = new DownlinkDispatcher(createAgentLogger('silent'));
    const seen: ControlMessage[] = [];
    dispatcher.on('control', (m) => {
      seen.push(m);
    });
    await dispatcher.dispatch(downlink('control', control));
    expect(seen).toEqual([control]);
    expect(dispatcher.stats().handled.control).toBe(1);
  });

  it('counts messages on channels nothing handles instead of failing', async () => {
    const dispatcher = new DownlinkDispatcher(createAgentLogger('silent'));
    await dispatcher.dispatch(downlink('cmd', { v: 1, type: 'cmd' }));
    await dispatcher.dispatch(downlink('cmd', { v: 1, type: 'cmd' }));
    expect(dispatcher.stats()).toEqual({
      handled: { config: 0, cmd: 0, ota: 0, control: 0 },
      unsupported: { config: 0, cmd: 2, ota: 0, control: 0 },
    });
  });

  it('lets a handler failure reach the session (which counts it) and refuses a second handler', async () => {
    const dispatcher = new DownlinkDispatcher(createAgentLogger('silent'));
    dispatcher.on('control', () => Promise.reject(new Error('boom')));
    await expect(dispatcher.dispatch(downlink('control', control))).rejects.toThrow('boom');
    expect(() => {
      dispatcher.on('control', () => undefined);
    }).toThrow(/already registered/);
  });
});
