/** `tailwatch grep --jsonl`: the pattern runs on each recorded event's message; the records are printed. */
import { describe, expect, it } from 'vitest';
import { runCli } from '../kit/cli.js';
import { makeProject } from '../kit/project.js';

const rec = (message: string, extra: Record<string, unknown> = {}) => JSON.stringify({ timestamp: 1, logGroup: '/g', logStream: 's', message, ...extra });
const events = [rec('{"status":503}'), rec('ERROR disk full'), '', rec('{"status":200}'), rec('ERROR again')].join('\n') + '\n';

describe('tailwatch grep --jsonl', () => {
  it('matches the message of each record, not the record, and prints the records whole', async () => {
    const dir = makeProject({ 'events.jsonl': events });
    const json = await runCli(['grep', '--jsonl', '{ $.status >= 500 }', 'events.jsonl'], { cwd: dir });
    expect(json.stdout).toBe(rec('{"status":503}') + '\n');
    expect(json.code).toBe(0);
    // without --jsonl the record itself is the line: `$.status` is not a field of a record
    expect((await runCli(['grep', '{ $.status >= 500 }', 'events.jsonl'], { cwd: dir })).code).toBe(1);
    // "logGroup" is in every record but in no message
    expect((await runCli(['grep', '--jsonl', 'logGroup', 'events.jsonl'], { cwd: dir })).code).toBe(1);
  });

  it('takes -c, -v, several files and stdin', async () => {
    const dir = makeProject({ 'a.jsonl': events, 'b.jsonl': rec('ERROR b') + '\n' });
    expect((await runCli(['grep', '--jsonl', '-c', 'ERROR', 'a.jsonl', 'b.jsonl'], { cwd: dir })).stdout).toBe('a.jsonl:2\nb.jsonl:1\n');
    expect((await runCli(['grep', '--jsonl', '-v', '-c', 'ERROR', 'a.jsonl'], { cwd: dir })).stdout).toBe('2\n');
    const stdin = await runCli(['grep', '--jsonl', 'again'], { cwd: dir, stdin: events });
    expect(stdin.stdout).toBe(rec('ERROR again') + '\n');
  });

  it('reports lines that are not records and a missing file, and exits 2', async () => {
    const dir = makeProject({ 'mixed.jsonl': `${rec('ERROR x')}\nplain text\n{"timestamp":1}\n` });
    const r = await runCli(['grep', '--jsonl', 'ERROR', 'mixed.jsonl', 'missing.jsonl'], { cwd: dir });
    expect(r.stdout).toBe(`mixed.jsonl:${rec('ERROR x')}\n`);
    expect(r.stderr).toBe(
      'tailwatch grep: mixed.jsonl:2: not a recorded event (a JSON object with a string "message")\n' +
        'tailwatch grep: mixed.jsonl:3: not a recorded event (a JSON object with a string "message")\n' +
        'tailwatch grep: missing.jsonl: No such file or directory\n',
    );
    expect(r.code).toBe(2);
  });
});
