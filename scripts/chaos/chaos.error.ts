/** A problem the user must fix (a bad flag, a missing service): printed without a stack. */
export class ChaosError extends Error {
  override readonly name = 'ChaosError';

  constructor(
    message: string,
    /** 2: bad flags or a missing service; 1: a scenario could not be carried out. */
    readonly exitCode: 1 | 2 = 2,
  ) {
    super(message);
  }
}
