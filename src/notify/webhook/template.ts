/**
 * The webhook `body` template tree: any JSON shape whose strings may hold
 * `{{path}}` placeholders over the alert payload (`title`, `rule.id`,
 * `group.merchantId`, `events.0.message`, `links.console`). A string that is
 * exactly one placeholder keeps the value's JSON type (numbers, booleans,
 * objects, arrays); inside longer strings values are inserted as text
 * (objects as JSON). A missing path is `null` alone, `""` inside text.
 */
const PLACEHOLDER = /\{\{\s*([^{}\s]+)\s*\}\}/g;
const ALONE = /^\{\{\s*([^{}\s]+)\s*\}\}$/;

export function renderTemplate(template: unknown, payload: unknown): unknown {
  if (typeof template === 'string') return renderString(template, payload);
  if (Array.isArray(template)) return template.map((t) => renderTemplate(t, payload));
  if (template !== null && typeof template === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(template)) out[k] = renderTemplate(v, payload);
    return out;
  }
  return template;
}

function renderString(s: string, payload: unknown): unknown {
  const alone = ALONE.exec(s);
  if (alone) return lookup(payload, alone[1]!) ?? null;
  return s.replace(PLACEHOLDER, (_m, path: string) => {
    const v = lookup(payload, path);
    if (v === undefined || v === null) return '';
    return typeof v === 'object' ? JSON.stringify(v) : String(v);
  });
}

function lookup(root: unknown, path: string): unknown {
  let cur: unknown = root;
  for (const key of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    if (!Object.prototype.hasOwnProperty.call(cur, key)) return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}
