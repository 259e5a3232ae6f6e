import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkTelemetryReading, TelemetryReadingDto } from './telemetry.message.js';

// Inside a ValidateNested array, anything but an object is an error; only objects reach the class.
const viaClass = (reading: unknown): boolean =>
  typeof reading === 'object' &&
  reading !== null &&
  !Array.isArray(reading) &&
  validateSync(plainToInstance(TelemetryReadingDto, reading), {
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
  }).length === 0;

describe('checkTelemetryReading', () => {
  it('accepts and rejects exactly what TelemetryReadingDto does', () => {
    const field = <T>(good: fc.Arbitrary<T>): fc.Arbitrary<unknown> =>
      fc.oneof({ weight: 4, arbitrary: good }, { weight: 1, arbitrary: fc.jsonValue() });
    const reading = fc.record(
      {
        deviceId: field(fc.constantFrom('meter-1', 'a:b.c_d', 'bad id', '', 'x'.repeat(129))),
        point: field(fc.constantFrom('l1_voltage', 'status.flags', '-bad', 'x'.repeat(129))),
        ts: field(fc.oneof(fc.integer({ min: -5, max: 2 ** 53 }), fc.double())),
        value: field(
          fc.oneof(
            fc.double(),
            fc.boolean(),
            fc.string({ maxLength: 1100 }),
            fc.dictionary(
              fc.constantFrom('lampOn', 'fault', 'bad key'),
              fc.oneof(fc.boolean(), fc.integer()),
            ),
          ),
        ),
        extra: fc.integer(),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(
        fc.oneof({ weight: 9, arbitrary: reading }, { weight: 1, arbitrary: fc.jsonValue() }),
        (r) => {
          expect(checkTelemetryReading(r, 0).length === 0).toBe(viaClass(r));
        },
      ),
      { numRuns: 3000 },
    );
  });
});
