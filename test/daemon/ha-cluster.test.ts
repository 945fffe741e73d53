/**
 * Replicas: two identical `tailwatch run` child processes against one
 * emulator, posting to every peer of an Alertmanager destination.
 *
 *   1. (no Alertmanager needed) The replicas post byte-identical firings with
 *      the same X-Tailwatch-Delivery to each peer (two capturing receivers):
 *      nothing replica-specific enters the payload; re-posts and resolves too.
 *   2. (the real binary; skipped with its name where absent, failing under CI)
 *      A two-peer Alertmanager cluster on loopback, a webhook receiver behind
 *      it: every firing reaches the receiver once; after a kill -9 of one
 *      replica mid-stream every later firing still arrives, once; after a kill
 *      -9 of one Alertmanager peer, the same.
 * Waits are on log lines and receivers, each with a deadline.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alertmanagerBinary } from '../kit/alertmanager.js';
import { startDaemon, type DaemonProcess } from '../kit/daemon.js';
import { startEmulator, type StartedEmulator } from '../kit/emulator.js';
import { makeProject } from '../kit/project.js';
import { startReceiver, type Receiver } from '../kit/receiver.js';
import { freePort } from '../kit/free-port.js';

const AM_BIN = alertmanagerBinary();

let emu: StartedEmulator;
let replicas: DaemonProcess[];
let receivers: Receiver[];
let children: ChildProcess[];

beforeEach(async () => {
  emu = await startEmulator({ updateIntervalMs: 100 });
  emu.emulator.ingest([{ logGroup: '/app/api', logStream: 'boot', timestamp: Date.now() - 60_000, message: 'boot' }]);
  replicas = [];
  receivers = [];
  children = [];
});

afterEach(async () => {
  for (const d of replicas) await d.stop();
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const r of receivers) await r.close();
  await emu.close();
});

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function receiver(): Promise<Receiver> {
  const r = await startReceiver();
  receivers.push(r);
  return r;
}

let lastTs = 0;
/** One ERROR line for group `n`. */
function put(n: string): void {
  lastTs = Math.max(Date.now(), lastTs + 1);
  emu.emulator.ingest([{ logGroup: '/app/api', logStream: 's1', timestamp: lastTs, message: JSON.stringify({ level: 'ERROR', n }) }]);
}

/** Identical replicas: the same config and rules, each in its own folder (its own state dir). */
async function startReplicas(peers: readonly string[], within: string): Promise<DaemonProcess[]> {
  const config = `aws: { region: us-east-1, accountId: "123456789012", endpoint: "${emu.endpoint}" }
rules: { paths: [rules], watch: false }
destinations:
  am: { type: alertmanager, peers: [${peers.map((p) => `"${p}"`).join(', ')}], resendInterval: 1s, externalLabels: { tailwatch_cluster: test } }
defaults: { notify: [am], throttle: 0s }
# The emulator's FilterLogEvents has no ingestion delay here: a gap's tail need not wait the default 10 s.
sessions: { strategy: precise, stallAfter: 5s, backoff: { initial: 100ms, max: 1s }, grace: 1s, completion: { delay: 1s } }
delivery: { retry: { initial: 100ms, max: 1s }, timeout: 2s }
state: { dir: state }
server: { listen: "127.0.0.1:0" }
ha: { replicas: 2 }
`;
  const rules = `rules:
  - id: errors
    source: { logGroups: [/app/api], filterPattern: ERROR }
    window: { type: threshold, count: 1, within: ${within}, groupBy: [$.n] }
    resolve: true
`;
  const started = [0, 1].map(() => {
    const d = startDaemon({ cwd: makeProject({ 'tailwatch.yaml': config, 'rules/r.yaml': rules }, 'tw-ha-'), env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' } });
    replicas.push(d);
    return d;
  });
  await Promise.all(started.map((d) => d.waitForMsg('ready', 20_000)));
  return started;
}

async function until(what: string, ok: () => boolean, timeoutMs: number, detail: () => string = () => ''): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${detail()}`);
    await sleep(50);
  }
}

type AmPost = { labels: Record<string, string>; annotations: Record<string, string>; startsAt: string; endsAt?: string };

describe('replicas post the same bytes', () => {
  it('two replicas given the same events post byte-identical firings, resolves and delivery headers to every peer', async () => {
    const peers = [await receiver(), await receiver()];
    await startReplicas(
      peers.map((p) => p.url),
      '2s',
    );
    for (const n of ['a', 'b', 'c']) put(n);
    /** First posts (not re-post rounds) per delivery id at a peer. */
    const firstPosts = (r: Receiver) => {
      const by = new Map<string, string[]>();
      for (const q of r.requests) {
        const id = String(q.headers['x-tailwatch-delivery']);
        if (!id.startsWith('repost-')) by.set(id, [...(by.get(id) ?? []), q.body]);
      }
      return by;
    };
    const kinds = (r: Receiver) => [...firstPosts(r).values()].map((b) => (JSON.parse(b[0]!) as AmPost[])[0]!.endsAt === undefined ? 'firing' : 'resolved');
    // Three firings and their resolves (2 s window + 1 s grace), each from both replicas, at both peers.
    await until('3 firings and 3 resolves from both replicas at both peers', () => peers.every((p) => kinds(p).length === 6 && [...firstPosts(p).values()].every((b) => b.length >= 2)), 20_000, () => peers.map((p) => p.requests.map((q) => `${String(q.headers['x-tailwatch-delivery'])} ${q.body.slice(0, 200)}`).join('\n')).join('\n---\n'));
    await sleep(500);
    for (const p of peers) {
      expect(kinds(p).sort()).toEqual(['firing', 'firing', 'firing', 'resolved', 'resolved', 'resolved']);
      for (const [id, bodies] of firstPosts(p)) {
        expect(bodies, `delivery ${id}`).toHaveLength(2);
        expect(bodies[1], `delivery ${id}: the replicas' bodies`).toBe(bodies[0]);
        expect((JSON.parse(bodies[0]!) as AmPost[])[0]!.annotations['tailwatch_id']).toBe(id);
      }
    }
    expect([...firstPosts(peers[1]!).entries()].sort()).toEqual([...firstPosts(peers[0]!).entries()].sort());
    // Re-post rounds carry the first post's labels, annotations and startsAt, with an endsAt.
    const reposted = peers[0]!.requests.filter((q) => String(q.headers['x-tailwatch-delivery']).startsWith('repost-')).flatMap((q) => JSON.parse(q.body) as AmPost[]);
    expect(reposted.length).toBeGreaterThan(0);
    const first = new Map([...firstPosts(peers[0]!).values()].map((b) => (JSON.parse(b[0]!) as AmPost[])[0]!).filter((a) => a.endsAt === undefined).map((a) => [a.annotations['tailwatch_id'], a]));
    for (const r of reposted.filter((a) => first.has(a.annotations['tailwatch_id']))) {
      const { endsAt, ...rest } = r;
      expect(rest).toEqual(first.get(r.annotations['tailwatch_id']));
      expect(endsAt).toBeDefined();
    }
    expect(first.get([...first.keys()][0])!.labels['tailwatch_cluster']).toBe('test');
  }, 40_000);
});


interface AmPeer {
  readonly url: string;
  child: ChildProcess;
  log: string;
  /** Starts it again (same ports, same storage) after a kill; resolves when it is back in the cluster. */
  restart(): Promise<void>;
}

async function startCluster(hookUrl: string): Promise<AmPeer[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tw-ha-am-'));
  const config = path.join(dir, 'alertmanager.yml');
  // group_by '...': every alert is its own group, so a notification names exactly one firing.
  writeFileSync(
    config,
    `route:
  receiver: hook
  group_by: ['...']
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: hook
    webhook_configs:
      - url: ${hookUrl}/am
        send_resolved: true
`,
  );
  const web = [await freePort(), await freePort()];
  const gossip = [await freePort(), await freePort()];
  const launch = (i: number): ChildProcess => {
    const child = spawn(
      AM_BIN!,
      [
        `--config.file=${config}`,
        `--storage.path=${path.join(dir, `data-${i}`)}`,
        `--web.listen-address=127.0.0.1:${web[i]}`,
        `--cluster.listen-address=127.0.0.1:${gossip[i]}`,
        `--cluster.peer=127.0.0.1:${gossip[1 - i]}`,
        // Loopback speeds: gossip fast, settle fast, the second peer waits 2 s for the first's notification log.
        '--cluster.gossip-interval=50ms',
        '--cluster.pushpull-interval=1s',
        '--cluster.peer-timeout=2s',
        '--cluster.settle-timeout=2s',
        '--cluster.probe-interval=200ms',
        '--cluster.probe-timeout=100ms',
        '--cluster.reconnect-interval=1s',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.push(child);
    child.stdout!.on('data', (d) => (peers[i]!.log += d));
    child.stderr!.on('data', (d) => (peers[i]!.log += d));
    return child;
  };
  const peers: AmPeer[] = [];
  for (const i of [0, 1]) {
    peers.push({
      url: `http://127.0.0.1:${web[i]}`,
      child: undefined as unknown as ChildProcess,
      log: '',
      async restart() {
        this.log = '';
        this.child = launch(i);
        await ready(this);
      },
    });
  }
  for (const i of [0, 1]) peers[i]!.child = launch(i);
  // Ready when each peer's own status lists both members and its gossip has settled (it evaluates notifications).
  const members = async (p: AmPeer): Promise<number> => {
    try {
      const status = (await (await fetch(`${p.url}/api/v2/status`)).json()) as { cluster?: { peers?: unknown[] } };
      return status.cluster?.peers?.length ?? 0;
    } catch {
      return 0;
    }
  };
  const ready = async (p: AmPeer): Promise<void> => {
    const deadline = Date.now() + 20_000;
    while (p.child.exitCode === null && !(/gossip (not )?settled/.test(p.log) && (await members(p)) === 2)) {
      if (Date.now() > deadline) throw new Error(`alertmanager cluster not formed:\n${p.log}`);
      await sleep(100);
    }
    if (p.child.exitCode !== null) throw new Error(`alertmanager exited:\n${p.log}`);
  };
  for (const p of peers) await ready(p);
  return peers;
}

type Notice = { status: string; alerts: { status: string; labels: Record<string, string> }[] };

describe.skipIf(!AM_BIN)('two replicas and a two-peer Alertmanager cluster (real binaries)', () => {
  it('every firing reaches the receiver once, also after kill -9 of a replica and of an Alertmanager peer', async () => {
    const hook = await receiver();
    const cluster = await startCluster(hook.url);
    // A long window: no resolve during the test, so the open firings are re-posted every second throughout.
    const [first] = await startReplicas(
      cluster.map((p) => p.url),
      '5m',
    );
    const firings = () => {
      const count = new Map<string, number>();
      for (const r of hook.requests) for (const a of (JSON.parse(r.body) as Notice).alerts) if (a.status === 'firing') count.set(a.labels['n']!, (count.get(a.labels['n']!) ?? 0) + 1);
      return count;
    };
    const detail = () => `receiver:\n${hook.requests.map((r) => r.body.slice(0, 300)).join('\n')}\n${cluster.map((p) => p.log.slice(-3000)).join('\n---\n')}`;
    const arrived = (ns: readonly string[]) => () => ns.every((n) => firings().has(n));
    let seq = 0;
    const stream = async (count: number): Promise<string[]> => {
      const ns: string[] = [];
      for (let i = 0; i < count; i++) {
        const n = `n${++seq}`;
        put(n);
        ns.push(n);
        await sleep(300);
      }
      return ns;
    };

    const before = await stream(3);
    first!.child.kill('SIGKILL'); // mid-stream: its firings may still be on their way
    const afterReplica = await stream(3);
    await until('the firings before and after the replica kill', arrived([...before, ...afterReplica]), 20_000, detail);

    // Killed the instant after it notified, a peer has not gossiped that to the other yet, and the other
    // notifies again after its wait: Alertmanager's fail-open (measured: a duplicate without this pause).
    // Its notification log needs a gossip round (50 ms here) to reach the other peer.
    await sleep(1_000);
    cluster[0]!.child.kill('SIGKILL');
    const afterPeer = await stream(3);
    await until('the firings after the peer kill', arrived(afterPeer), 20_000, detail);

    const all = [...before, ...afterReplica, ...afterPeer];

    // The killed peer comes back empty (Alertmanager keeps alerts in memory): the re-posts teach it every
    // open firing within a round or two, and the notification log it syncs from the other peer keeps it quiet.
    await cluster[0]!.restart();
    const active = async () => {
      const list = (await (await fetch(`${cluster[0]!.url}/api/v2/alerts?active=true`)).json()) as { labels: Record<string, string> }[];
      return new Set(list.map((a) => a.labels['n']));
    };
    const deadline = Date.now() + 10_000;
    let known = await active();
    while (!all.every((n) => known.has(n)) && Date.now() < deadline) {
      await sleep(200);
      known = await active();
    }
    expect([...known].sort(), 'the restarted peer learned the open firings').toEqual([...all].sort());

    // Longer than a second peer's wait (peer-timeout) and a few re-post rounds: a duplicate would show by now.
    await sleep(4_000);
    expect(Object.fromEntries(firings()), detail()).toEqual(Object.fromEntries(all.map((n) => [n, 1])));
  }, 60_000);
});
