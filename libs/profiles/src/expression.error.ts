/** A value expression in a profile does not parse or cannot be evaluated. */
export class ExpressionError extends Error {
  readonly code = 'EXPRESSION_INVALID';

  constructor(
    message: string,
    readonly source: string,
  ) {
    super(message);
    this.name = 'ExpressionError';
  }
}
