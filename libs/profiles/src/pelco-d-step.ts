import {
  buildPelcoDFrame,
  pelcoD,
  pelcoDMotion,
  pelcoDStop,
  PELCO_D_FRAME_LENGTH,
} from './pelco-d.js';
import type { Operation, SerialReplySpec } from './profile.types.js';

interface ArgSpec {
  required: boolean;
  min: number;
  max: number;
}

const opt = (min: number, max: number): ArgSpec => ({ required: false, min, max });
const req = (min: number, max: number): ArgSpec => ({ required: true, min, max });

/** The Pelco-D step commands a profile may use, with their arguments (all integers). */
export const PELCO_D_STEP_ARGS: Readonly<Record<string, Readonly<Record<string, ArgSpec>>>> = {
  motion: {
    pan: opt(-64, 64),
    tilt: opt(-63, 63),
    zoom: opt(-1, 1),
    focus: opt(-1, 1),
    iris: opt(-1, 1),
  },
  stop: {},
  'set-preset': { preset: req(1, 255) },
  'clear-preset': { preset: req(1, 255) },
  'goto-preset': { preset: req(1, 255) },
  'set-aux': { aux: req(1, 8) },
  'clear-aux': { aux: req(1, 8) },
  'query-pan': {},
  'query-tilt': {},
  'query-zoom': {},
  'set-pan-position': { position: req(0, 35999) },
  'set-tilt-position': { position: req(0, 35999) },
  raw: { cmd1: req(0, 255), cmd2: req(0, 255), data1: req(0, 255), data2: req(0, 255) },
};

/** Commands after which the camera keeps moving until told to stop. */
export function pelcoDStepMoves(command: string): boolean {
  return command === 'motion' || command === 'raw';
}

/** Builds the frame of one Pelco-D step; arguments are already range-checked integers. */
export function pelcoDStepOperation(
  command: string,
  args: Readonly<Record<string, number>>,
  address: number,
): Extract<Operation, { kind: 'serial-frame' }> {
  const a = (name: string): number => args[name] ?? 0;
  const query = (value: SerialReplySpec['value'], bytes: Uint8Array) => ({
    kind: 'serial-frame' as const,
    bytes,
    replyLength: PELCO_D_FRAME_LENGTH,
    reply: { protocol: 'pelco-d' as const, value },
  });
  const frame = (bytes: Uint8Array) => ({ kind: 'serial-frame' as const, bytes });
  switch (command) {
    case 'motion':
      return frame(
        pelcoDMotion(address, {
          pan: a('pan'),
          tilt: a('tilt'),
          zoom: a('zoom'),
          focus: a('focus'),
          iris: a('iris'),
        }),
      );
    case 'stop':
      return frame(pelcoDStop(address));
    case 'set-preset':
      return frame(pelcoD.setPreset(address, a('preset')));
    case 'clear-preset':
      return frame(pelcoD.clearPreset(address, a('preset')));
    case 'goto-preset':
      return frame(pelcoD.gotoPreset(address, a('preset')));
    case 'set-aux':
      return frame(pelcoD.setAux(address, a('aux')));
    case 'clear-aux':
      return frame(pelcoD.clearAux(address, a('aux')));
    case 'query-pan':
      return query('pan', pelcoD.queryPan(address));
    case 'query-tilt':
      return query('tilt', pelcoD.queryTilt(address));
    case 'query-zoom':
      return query('zoom', pelcoD.queryZoom(address));
    case 'set-pan-position':
      return frame(pelcoD.setPanPosition(address, a('position')));
    case 'set-tilt-position':
      return frame(pelcoD.setTiltPosition(address, a('position')));
    case 'raw':
      return frame(
        buildPelcoDFrame({
          address,
          cmd1: a('cmd1'),
          cmd2: a('cmd2'),
          data1: a('data1'),
          data2: a('data2'),
        }),
      );
    default:
      throw new Error(`unknown Pelco-D step command "${command}"`);
  }
}
