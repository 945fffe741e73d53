/**
 * What `tailwatch grep` is asked, what it reads and writes, and its exit
 * codes (GNU grep's).
 */

export interface GrepRequest {
  /** The CloudWatch filter pattern's source. */
  readonly pattern: string;
  /** Files of one event message a line; none, or `-`, is stdin. */
  readonly files: readonly string[];
  /** Print the number of selected lines instead of the lines. */
  readonly count: boolean;
  /** Select the lines that do not match. */
  readonly invert: boolean;
  /** Lines are recorded events (`{"timestamp","message",…}`): match each one's message, print the records. */
  readonly jsonl: boolean;
}

/** The process's streams and directory (cli's CliIO is one). `stdin` is read only when an input is `-`. */
export interface GrepIO {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly stdin: NodeJS.ReadableStream;
  readonly cwd: string;
}

/** A line was selected. */
export const GREP_SELECTED = 0;
/** No line was selected. */
export const GREP_NONE = 1;
/** An invalid pattern, or an input that could not be read (the others still are). */
export const GREP_TROUBLE = 2;
