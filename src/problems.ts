/**
 * Problems users see: a position in a file and a stable code.
 * Every stage that reads user input (config, rules, filter patterns, tests)
 * reports through this one shape, so `validate` prints them all alike.
 */
export type Severity = 'error' | 'warning';

export interface Problem {
  readonly file: string;
  /** 1-based; 0 (with `col` 0) when the problem concerns the file or folder as a whole (no position). */
  readonly line: number;
  readonly col: number;
  readonly message: string;
  readonly severity: Severity;
  /** Stable machine-readable kind, e.g. `yaml`, `schema`, `duplicate-id`. */
  readonly code: string;
  readonly ruleId?: string | undefined;
}

/** `file:line:col: message` — the one-line form every command prints; `file: message` when there is no position. */
export function formatProblem(p: Problem): string {
  const prefix = p.severity === 'warning' ? 'warning: ' : '';
  return p.line > 0 ? `${p.file}:${p.line}:${p.col}: ${prefix}${p.message}` : `${p.file}: ${prefix}${p.message}`;
}

/** A problem with a file or folder as a whole (unreadable, a dangling link, …): no line and column. */
export function pathProblem(file: string, message: string, code: string, severity: Severity = 'error'): Problem {
  return { file, line: 0, col: 0, message, code, severity };
}

/**
 * A file the user named (the config, a path given on the command line) that
 * cannot be read as one: missing, a FIFO or device, a symlink loop, too big.
 * Commands print it as one line, `tailwatch CMD: PATH: reason`, and exit 2.
 */
export class InputFileError extends Error {
  constructor(
    /** The path as the user knows it (relative to the current folder when below it). */
    readonly path: string,
    readonly reason: string,
    /** The system error code when there is one (`ENOENT`, `ELOOP`, …). */
    readonly code?: string | undefined,
  ) {
    super(`${path}: ${reason}`);
    this.name = 'InputFileError';
  }
}

/** A user-facing error that carries its problems (usually one). */
export class UserError extends Error {
  readonly problems: readonly Problem[];
  constructor(problems: readonly Problem[] | Problem) {
    const list = Array.isArray(problems) ? problems : [problems as Problem];
    super(list.map(formatProblem).join('\n'));
    this.name = 'UserError';
    this.problems = list;
  }
}
