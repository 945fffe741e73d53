#!/usr/bin/env node
// Entry point. The regexp flag must be set before any RegExp is compiled:
// it makes V8 fall back to its linear-time engine when a pattern starts to
// backtrack, so one hostile log line cannot freeze the daemon (FACTS.md).
import v8 from 'node:v8';
v8.setFlagsFromString('--enable-experimental-regexp-engine-on-excessive-backtracks');
// The AWS SDK is pinned in package-lock.json; its notice that *future* releases need Node 22
// would only end up in journald on every start.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// `tailwatch grep … | head`: a reader that goes away ends us quietly, like grep.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});
const { main } = await import('../dist/cli/main.js');
process.exitCode = await main(process.argv.slice(2));
