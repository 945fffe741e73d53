/** Reading the fields of a JSON request body, with CloudWatch-style InvalidParameterException messages. */
import { invalidParameter } from './errors.js';

export type Input = Readonly<Record<string, unknown>>;

export function optString(input: Input, field: string, max = 1024): string | undefined {
  const v = input[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw invalidParameter(`${field} must be a string.`);
  if (v.length > max) throw invalidParameter(`${field} must have length less than or equal to ${max}.`);
  return v;
}

export function reqString(input: Input, field: string, max = 1024): string {
  const v = optString(input, field, max);
  if (v === undefined || v.length === 0) throw invalidParameter(`Missing required parameter ${field}.`);
  return v;
}

export function optStringList(input: Input, field: string, limits: { min: number; max: number }): string[] | undefined {
  const v = input[field];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string' || s.length === 0)) throw invalidParameter(`${field} must be a list of non-empty strings.`);
  if (v.length < limits.min || v.length > limits.max) {
    throw invalidParameter(`${field} must have between ${limits.min} and ${limits.max} items (got ${v.length}).`);
  }
  return v as string[];
}

export function optInteger(input: Input, field: string, limits: { min: number; max: number }): number | undefined {
  const v = input[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw invalidParameter(`${field} must be an integer.`);
  if (v < limits.min || v > limits.max) throw invalidParameter(`${field} must be between ${limits.min} and ${limits.max}.`);
  return v;
}
