// One section of bench/README.md, replaced in place: each benchmark's `--write`
// rewrites only the section whose heading (the section text's first line) it
// owns, from that heading line to the next `## ` heading; hand-written sections
// between them stay.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const readme = path.join(path.dirname(fileURLToPath(import.meta.url)), 'README.md');

export function writeReadmeSection(section) {
  const heading = section.slice(0, section.indexOf('\n'));
  const body = section.endsWith('\n') ? section : `${section}\n`;
  let text = existsSync(readme) ? readFileSync(readme, 'utf8') : '# Benchmarks\n';
  const lines = text.split('\n');
  const start = lines.indexOf(heading);
  if (start === -1) {
    text = `${text.trimEnd()}\n\n${body}`;
  } else {
    let end = lines.findIndex((l, i) => i > start && l.startsWith('## '));
    if (end === -1) end = lines.length;
    const after = lines.slice(end).join('\n');
    text = [...lines.slice(0, start)].join('\n') + (start > 0 ? '\n' : '') + body + (after ? `\n${after}` : '');
  }
  writeFileSync(readme, text.endsWith('\n') ? text : `${text}\n`);
}
