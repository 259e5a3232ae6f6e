/**
 * Modbus RTU inter-frame silence t3.5 in milliseconds: 3.5 characters of 11 bits (38.5 bit times),
 * fixed at 1.75 ms above 19200 baud (Modbus over Serial Line V1.02 §2.5.1.1). TCP needs none.
 */
export function silentIntervalMs(baudRate: number | undefined): number {
  if (baudRate === undefined) return 0;
  if (!Number.isFinite(baudRate) || baudRate <= 0) {
    throw new RangeError(`baudRate must be a positive number, got ${baudRate}`);
  }
  if (baudRate > 19200) return 1.75;
  return (38.5 * 1000) / baudRate;
}
