/**
 * The rule watches (`rules.watch`): what a GitOps deploy changes — files
 * inside the rule folders, and each rule path and the config file *by name
 * in its parent folder*. A deploy that swaps a symlink (`rules ->
 * releases/42`) or an editor that writes a new file and renames it over the
 * old one replaces the inode a watch on the path itself would follow. The
 * daemon sets the watches up again after every reload, so a swapped
 * symlink's new target and changed `rules.paths` are watched.
 */
import { statSync, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { TimerHandle, Timers } from '../time.js';

export class RuleWatches {
  private watchers: FSWatcher[] = [];
  private debounce: TimerHandle | undefined;

  constructor(private readonly o: { readonly timers: Timers; readonly debounceMs: number; readonly log: Logger; readonly onChange: () => void }) {}

  /** Watches `targets` (rule paths and the config file), replacing the watches set up before. */
  watch(targets: readonly string[]): void {
    this.closeWatchers();
    const parents = new Map<string, Set<string>>();
    for (const target of targets.filter(Boolean)) {
      const dir = path.dirname(target);
      if (!parents.has(dir)) parents.set(dir, new Set());
      parents.get(dir)!.add(path.basename(target));
      let isDir = false;
      try {
        isDir = statSync(target).isDirectory();
      } catch {
        // Not there yet: the parent's watch sees it appear.
      }
      if (isDir) this.add(target, true, (name) => /\.ya?ml$/.test(name));
    }
    for (const [dir, names] of parents) this.add(dir, false, (name) => names.has(name));
  }

  /** Closes the watches; a debounced change not yet reported is dropped. */
  close(): void {
    this.closeWatchers();
    this.o.timers.clearTimeout(this.debounce);
    this.debounce = undefined;
  }

  private closeWatchers(): void {
    for (const w of this.watchers.splice(0)) w.close();
  }

  private trigger(): void {
    this.o.timers.clearTimeout(this.debounce);
    this.debounce = this.o.timers.setTimeout(() => {
      this.debounce = undefined;
      this.o.onChange();
    }, this.o.debounceMs);
  }

  private add(target: string, recursive: boolean, accept: (name: string) => boolean): void {
    try {
      const w = watch(target, { recursive, persistent: false }, (_event, name) => {
        if (name === null || accept(String(name))) this.trigger();
      });
      w.on('error', (err) => this.o.log.warn({ path: path.basename(target), error: err.message }, 'rule watcher failed'));
      this.watchers.push(w);
    } catch (err) {
      this.o.log.warn({ path: target, error: (err as Error).message }, 'cannot watch rules path');
    }
  }
}
