/**
 * `server.listen`: `/healthz` (process alive), `/readyz` (rules loaded —
 * at least one unless `rules.allowEmpty` —, sessions up, no unhealthy rules — the reasons in the body), `/metrics`
 * (Prometheus text format).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface Readiness {
  readonly ready: boolean;
  /** Why not (or a summary when ready), one line each. */
  readonly details: readonly string[];
}

export interface StatusServerOptions {
  readonly listen: string;
  readonly registry: Registry;
  readiness(): Readiness;
}

export class StatusServer {
  private server: http.Server | undefined;

  constructor(private readonly opts: StatusServerOptions) {}

  /** Resolves with the bound address (`host:port`; port 0 picks a free one). */
  async start(): Promise<string> {
    if (this.server) return this.address();
    const { host, port } = splitListen(this.opts.listen);
    const server = http.createServer((req, res) => void this.handle(req, res));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    return this.address();
  }

  address(): string {
    const a = this.server?.address() as AddressInfo | null | undefined;
    if (!a) return this.opts.listen;
    return a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply(res, 405, 'text/plain', 'method not allowed\n');
    switch (url) {
      case '/healthz':
        return reply(res, 200, 'text/plain', 'ok\n');
      case '/readyz': {
        const r = this.opts.readiness();
        return reply(res, r.ready ? 200 : 503, 'text/plain', `${r.ready ? 'ready' : 'not ready'}\n${r.details.map((d) => `${d}\n`).join('')}`);
      }
      case '/metrics':
        try {
          return reply(res, 200, this.opts.registry.contentType, await this.opts.registry.metrics());
        } catch (err) {
          return reply(res, 500, 'text/plain', `metrics failed: ${(err as Error).message}\n`);
        }
      default:
        return reply(res, 404, 'text/plain', 'not found: try /healthz, /readyz, /metrics\n');
    }
  }
}

function reply(res: http.ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

export function splitListen(listen: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(listen);
  if (!m) throw new Error(`server.listen: expected host:port, got "${listen}"`);
  return { host: m[1] ?? m[2]!, port: Number(m[3]) };
}
