/**
 * `tailwatch plan` with several sources (or a shard): each source's plan under a header
 * naming its account and region — sessions, quota and cost are per source — then the
 * totals; JSON nests each source's plan under `sources`.
 */
import type { AwsSource, Config } from '../model/config.js';
import { shardKey, shardOf, sourcesOf } from '../config/sources.js';
import type { Plan } from '../livetail/index.js';

export type Shard = { readonly index: number; readonly count: number };

/** `--shard 1/3` → {index 1, count 3}; without the option the config's `shard:`; a string says what is wrong. */
export function parseShardOption(value: unknown, config: Config): Shard | undefined | string {
  if (value === undefined) return config.shard;
  const m = /^(\d+)\/(\d+)$/.exec(String(value));
  if (!m) return `--shard must be INDEX/COUNT (e.g. 0/3), not "${String(value)}"`;
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || index >= count) return `--shard ${index}/${count}: the index must be below the count (shards 0..${Math.max(0, count - 1)})`;
  return { index, count };
}

function where(s: AwsSource | undefined): string {
  if (!s) return '';
  const parts = [s.region ?? 'region from the environment', s.accountId ? `account ${s.accountId}` : 'account looked up', s.profile ? `profile ${s.profile}` : 'default credentials'];
  return parts.join(', ');
}

const usd = (x: number): string => `$${x.toFixed(2)}`;

export function formatSourcesPlan(results: readonly { name: string; out: { plan: Plan; text: string; json: Record<string, unknown> } }[], config: Config, shard: Shard | undefined, format: string): string {
  const all = new Map(sourcesOf(config));
  const sessions = results.reduce((n, r) => n + r.out.plan.sessions.length, 0);
  const cost = Math.round(results.reduce((n, r) => n + r.out.plan.monthlyCost, 0) * 10_000) / 10_000;
  const replicas = config.ha?.replicas ?? 1;
  const others = shard ? sourcesOf(config).filter(([n]) => !results.some((r) => r.name === n)).map(([n, s]) => ({ name: n, shard: shardOf(shardKey(n, s), shard.count) })) : [];
  if (format === 'json') {
    const out: Record<string, unknown> = {
      sources: Object.fromEntries(results.map((r) => [r.name, { region: all.get(r.name)?.region, accountId: all.get(r.name)?.accountId, ...r.out.json }])),
      sessions,
      monthlyCost: cost,
    };
    if (shard) Object.assign(out, { shard: { index: shard.index, count: shard.count }, otherShards: Object.fromEntries(others.map((o) => [o.name, o.shard])) });
    if (config.ha) Object.assign(out, { replicas, replicasMonthlyCost: Math.round(replicas * cost * 10_000) / 10_000 });
    return JSON.stringify(out, null, 2) + '\n';
  }
  const lines: string[] = [];
  if (shard) lines.push(`Shard ${shard.index} of ${shard.count} (0..${shard.count - 1}): ${results.length} of ${all.size} sources${others.length > 0 ? `; the others: ${others.map((o) => `${o.name} → shard ${o.shard}`).join(', ')}` : ''}`, '');
  for (const r of results) {
    lines.push(`=== Source ${r.name} (${where(all.get(r.name))}) ===`);
    lines.push(r.out.text.trimEnd(), '');
  }
  lines.push(`All sources${shard ? ` of shard ${shard.index}` : ''}: ${sessions} session${sessions === 1 ? '' : 's'}, ${usd(cost)}/month (each source has its own quota of ${config.sessions.maxConcurrent} sessions per region and its own FilterLogEvents budget)`);
  if (replicas > 1) lines.push(`With ha.replicas ${replicas} (each replica runs every session): ${replicas * sessions} sessions, ${usd(replicas * cost)}/month`);
  return lines.join('\n') + '\n';
}
