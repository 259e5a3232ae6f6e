import { DomainError } from '@fleet/common';

/** Postgres/pg driver errors that mean "the database is not there right now". */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const cause = (error as { cause?: unknown }).cause;
  // Drizzle wraps the driver's error: its code is on the cause.
  const code =
    (error as { code?: unknown }).code ?? (cause as { code?: unknown } | undefined)?.code;
  const text = `${error.message} ${cause instanceof Error ? cause.message : ''}`;
  return (
    code === 'ECONNREFUSED' ||
    code === 'ECONNRESET' ||
    code === '57P01' ||
    code === '57P03' ||
    code === '53300' ||
    /Connection terminated|connect ECONNREFUSED|ECONNRESET|timeout exceeded when trying to connect|Client has encountered a connection error/.test(
      text,
    )
  );
}

/** Failures worth retrying later: the database is away, or a service said it is unavailable. */
export function isTransientFailure(error: unknown): boolean {
  return (
    isDatabaseUnavailable(error) || (error instanceof DomainError && error.kind === 'unavailable')
  );
}
