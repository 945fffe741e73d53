/**
 * A TCP port free on 127.0.0.1 now, for a child process that must be told its port up front
 * (Alertmanager's web and cluster listeners, `tailwatch emulate --port`): bound on port 0, then
 * released. Another process could take it in between; the tests that use it accept that small race.
 */
import net from 'node:net';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}
