/** A technician command failed; `exitCode` 2 = bad usage/input, 1 = the bus or device failed. */
export class TechnicianError extends Error {
  override readonly name = 'TechnicianError';

  constructor(
    readonly code: string,
    message: string,
    readonly exitCode: 1 | 2 = 1,
  ) {
    super(message);
  }
}
