/** The one error type of the filter module: a message and the 1-based column it points at. */
export class FilterPatternError extends Error {
  constructor(message: string, readonly column: number) {
    super(message);
    this.name = 'FilterPatternError';
  }
}
