/**
 * Base of every typed error a service throws. The code is stable and machine-readable; the HTTP
 * layer maps codes to status codes in one place, workers and the agent log them as they are.
 */
export class DomainError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details?: Readonly<Record<string, unknown>>,
  ) {
    super(message);
    this.name = new.target.name;
  }
}
