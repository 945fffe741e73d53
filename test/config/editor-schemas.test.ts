/**
 * Editor support: every shipped YAML file names its JSON Schema on its first
 * line, and the files satisfy the schema they name (so an editor shows no
 * false errors on the examples).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import yaml from 'js-yaml';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const shipped = ['config.example.yaml', ...readdirSync(path.join(root, 'rules')).filter((f) => /\.ya?ml$/.test(f)).map((f) => `rules/${f}`)];

describe('shipped YAML files name their schema for editors', () => {
  it.each(shipped)('%s starts with a yaml-language-server $schema line that resolves and validates it', (file) => {
    const text = readFileSync(path.join(root, file), 'utf8');
    const m = /^# yaml-language-server: \$schema=(\S+)\n/.exec(text);
    expect(m, `${file} must start with a yaml-language-server line`).not.toBeNull();
    const schemaPath = path.resolve(path.dirname(path.join(root, file)), m![1]!);
    const expectedSchema = file.endsWith('.test.yaml') ? 'rule-tests' : file.startsWith('rules/') ? 'rules' : 'config';
    expect(path.basename(schemaPath)).toBe(`${expectedSchema}.schema.json`);
    const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });
    for (const s of ['config', 'rules']) if (s !== expectedSchema) ajv.addSchema(JSON.parse(readFileSync(path.join(root, `schema/${s}.schema.json`), 'utf8')) as object);
    const validate = ajv.compile(JSON.parse(readFileSync(schemaPath, 'utf8')) as object);
    // YAML 1.2 core (timestamps stay strings, as in editors). The config schema applies after
    // `${VAR:-default}` interpolation, as in the loader: here every variable takes its default.
    const ok = validate(yaml.load(text.replace(/\$\{[A-Za-z_][A-Za-z0-9_]*:-([^}]*)\}/g, '$1'), { schema: yaml.CORE_SCHEMA }));
    expect(validate.errors ?? [], `${file} against ${path.basename(schemaPath)}`).toEqual([]);
    expect(ok).toBe(true);
  });
});
