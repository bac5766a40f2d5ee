/**
 * Watches the config file for changes. Watches the directory, not the file, because editors and
 * Kubernetes ConfigMaps replace files by rename, which silently ends a watch on the old inode.
 * Events are debounced: one save is often several events.
 *
 * A directory watch dies silently too when the directory itself is removed and recreated or moved
 * away and back (inotify watches an inode, not a path). So a cheap stat poll runs beside it: when the
 * directory went missing or is a different inode, the watch is re-armed; when the file's identity,
 * size or mtime changed without an event, a reload is triggered. The watch gives speed, the poll
 * gives correctness. A reload of an unchanged file is a no-op (the manager compares digests).
 */
import { type FSWatcher, type Stats, stat, statSync, watch } from 'node:fs';
import { basename, dirname } from 'node:path';

/** Options for {@link watchConfig}. */
export interface WatchOptions {
  /** Quiet time before a burst of events becomes one reload (default 150 ms). */
  readonly debounceMs?: number;
  /** Stat poll interval (default 1000 ms). */
  readonly pollMs?: number;
}

/**
 * Calls `onChange` (debounced) whenever `file` may have changed. Returns a stop function.
 * @example const stop = watchConfig('config/fieldlab.yaml', () => manager.reload('watch'))
 */
export function watchConfig(file: string, onChange: () => void, opts: WatchOptions = {}): () => void {
  const debounceMs = opts.debounceMs ?? 150;
  const dir = dirname(file);
  const name = basename(file);
  let timer: NodeJS.Timeout | undefined;
  let watcher: FSWatcher | undefined;
  let watchedDir: string | undefined;
  let lastFile = 'missing';
  let stopped = false;

  const changed = () => {
    clearTimeout(timer);
    timer = setTimeout(onChange, debounceMs);
  };
  const disarm = () => {
    watcher?.close();
    watcher = undefined;
    watchedDir = undefined;
  };
  const arm = (dirIdentity: string) => {
    disarm();
    try {
      watcher = watch(dir, { persistent: false }, (_event, entry) => {
        // Some platforms omit the file name; then any change in the directory counts.
        if (entry && entry.toString() !== name && !entry.toString().startsWith('..')) return;
        changed();
      });
      watcher.on('error', disarm);
      watchedDir = dirIdentity;
    } catch {
      // No watch support (some network filesystems): the poll below still notices changes.
    }
  };

  const identity = (s: Stats | undefined) => (s ? `${s.dev}:${s.ino}` : 'missing');
  const version = (f: Stats | undefined) => (f ? `${identity(f)}:${f.size}:${f.mtimeMs}` : 'missing');
  const poll = () => {
    stat(dir, (_e1, d) => {
      stat(file, (_e2, f) => {
        if (stopped) return;
        const dirId = identity(d);
        if (!d) disarm();
        else if (watchedDir !== dirId) arm(dirId);
        const now = version(f);
        if (now !== lastFile) changed();
        lastFile = now;
      });
    });
  };
  // Armed synchronously so an edit right after start is seen; the poll takes over from here.
  const d0 = statSync(dir, { throwIfNoEntry: false });
  if (d0) arm(identity(d0));
  lastFile = version(statSync(file, { throwIfNoEntry: false }));
  const poller = setInterval(poll, opts.pollMs ?? 1000);
  poller.unref();
  return () => {
    stopped = true;
    clearInterval(poller);
    clearTimeout(timer);
    disarm();
  };
}
