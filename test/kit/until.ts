/**
 * Waits, in real time, until `cond()` holds: for work that crosses real I/O
 * (a receiver's socket, a child process). Not a timing assertion: the bound
 * is generous and only turns a hang into a failure. `cond` may be async (a
 * check that reads /metrics over HTTP).
 */
export async function until(cond: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`${what} not met in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
