import type { DataType, RawType } from './profile.types.js';

/** Registers a value of this type occupies (coils/GPIO: 1 bit). */
export function pointRegisterCount(type: DataType, length?: number, rawType?: RawType): number {
  switch (type) {
    case 'bool':
    case 'int16':
    case 'uint16':
      return 1;
    case 'int32':
    case 'uint32':
    case 'float32':
      return 2;
    case 'int64':
    case 'uint64':
    case 'float64':
      return 4;
    case 'string':
      return Math.ceil((length ?? 0) / 2);
    case 'enum':
    case 'bitfield':
      return rawType === undefined || rawType === 'int16' || rawType === 'uint16' ? 1 : 2;
  }
}
