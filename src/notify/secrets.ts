/**
 * Secrets (webhook URLs, tokens, HMAC keys) must never reach logs, errors or
 * output. Notifiers build error text from status codes and error codes, not
 * from library messages: node:http's (webhook, Alertmanager) name hosts and
 * addresses, and those of fetch (which Slack's client sends with) and of
 * @slack/webhook often carry the URL. The receiver's own error text passes
 * through `scrub` first, since a receiver may echo the URL or a header back.
 */

/** The secret-bearing strings of a destination: its URL and the URL's parts, header values, HMAC key. */
export function secretsOf(dest: { url?: string | undefined; headers?: Readonly<Record<string, string>> | undefined; secret?: string | undefined }): string[] {
  const out: string[] = [];
  if (dest.url) {
    out.push(dest.url);
    try {
      const u = new URL(dest.url);
      if (u.pathname.length > 1) out.push(u.pathname, ...u.pathname.split('/').filter((s) => s.length >= 6));
      if (u.search) out.push(u.search);
      if (u.password) out.push(u.password);
      if (u.username) out.push(u.username);
      // The Basic header those credentials become (node:http sends them so; http.ts postJson).
      if (u.username || u.password) out.push(Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64'));
    } catch {
      // Not a URL: the whole string is the secret.
    }
  }
  for (const v of Object.values(dest.headers ?? {})) {
    out.push(v);
    // `Bearer abc`: the token alone too.
    for (const part of v.split(/\s+/)) if (part.length >= 6) out.push(part);
  }
  if (dest.secret) out.push(dest.secret);
  // Longest first, so a URL is redacted whole rather than around its path.
  return [...new Set(out.filter((s) => s.length >= 4))].sort((a, b) => b.length - a.length);
}

export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (out.includes(s)) out = out.split(s).join('[redacted]');
  // Encoded forms of the same secrets (a receiver may echo them URL-encoded).
  for (const s of secrets) {
    const enc = encodeURIComponent(s);
    if (enc !== s && out.includes(enc)) out = out.split(enc).join('[redacted]');
  }
  return out;
}
