/**
 * `tailwatch doctor`'s destination checks: each destination's host resolves
 * and accepts a TCP (TLS for https) connection; nothing is sent. A result
 * names the host and port only: the path and query of a webhook URL are its
 * token.
 */
import { lookup } from 'node:dns/promises';
import net from 'node:net';
import tls from 'node:tls';
import type { Destination } from '../model/config.js';
import type { CheckResult } from './doctor-checks.js';

/**
 * Resolves the destination's host and opens a TCP (TLS for https) connection; sends nothing.
 * An Alertmanager cluster (`peers`) gets a line per peer: each alert is posted to each.
 */
export async function checkDestination(name: string, dest: Destination, timeoutMs: number): Promise<CheckResult[]> {
  if (dest.type === 'console') return [{ check: 'destination', subject: name, status: 'ok', message: `${name} (console): prints alerts (stderr under run)` }];
  if (dest.type !== 'alertmanager' || !dest.peers?.length) return [await checkDestinationUrl(name, `${name} (${dest.type})`, dest.url, `destinations.${name}.url`, timeoutMs)];
  const peers = dest.peers;
  const results: CheckResult[] = [];
  for (const [i, peer] of peers.entries()) {
    const label = peers.length > 1 ? `${name} (alertmanager peer ${i + 1} of ${peers.length})` : `${name} (alertmanager)`;
    results.push(await checkDestinationUrl(name, label, peer, `destinations.${name}.peers[${i}]`, timeoutMs));
  }
  return results;
}

async function checkDestinationUrl(name: string, label: string, rawUrl: string, field: string, timeoutMs: number): Promise<CheckResult> {
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    return { check: 'destination', subject: name, status: 'fail', message: `${label}: its URL does not parse`, fix: `fix ${field} (tailwatch validate points at it)` };
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  const target = `${url.protocol}//${url.host}`;
  const next = `nothing sent; tailwatch notify-test ${name} sends a sample alert`;
  let address: string;
  try {
    address = (await lookup(host)).address;
  } catch (err) {
    return { check: 'destination', subject: name, status: 'fail', message: `${label}: ${target} does not resolve (${(err as NodeJS.ErrnoException).code ?? 'error'})`, fix: `check the host of ${field} and this machine's DNS` };
  }
  try {
    await connect(host, address, port, url.protocol === 'https:', timeoutMs);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    return { check: 'destination', subject: name, status: 'fail', message: `${label}: ${target} (${address}) refuses the connection (${code})`, fix: `is the receiver running, and reachable from here (firewall, proxy)? (${next})` };
  }
  return { check: 'destination', subject: name, status: 'ok', message: `${label}: ${target} (${address}) accepts a connection${url.protocol === 'https:' ? ' and its TLS certificate' : ''}; ${next}` };
}

function connect(host: string, address: string, port: number, secure: boolean, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = secure ? tls.connect({ host: address, port, servername: net.isIP(host) ? undefined : host }) : net.connect({ host: address, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' }));
    }, timeoutMs);
    socket.once(secure ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      socket.end();
      socket.destroy();
      resolve();
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    });
  });
}
