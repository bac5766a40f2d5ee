/**
 * Watches the config file for changes. Watches the directory, not the file, because editors and
 * Kubernetes ConfigMaps replace files by rename, which silently ends a watch on the old inode.
 * Events are debounced: one save is often several events.
 */
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';

/**
 * Calls `onChange` (debounced) whenever `file` may have changed. Returns a stop function.
 * @example const stop = watchConfig('config/fieldlab.yaml', () => manager.reload('watch'))
 */
export function watchConfig(file: string, onChange: () => void, debounceMs = 150): () => void {
  const name = basename(file);
  let timer: NodeJS.Timeout | undefined;
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dirname(file), { persistent: false }, (_event, changed) => {
      // Some platforms omit the file name; then any change in the directory counts.
      if (changed && changed.toString() !== name && !changed.toString().startsWith('..')) return;
      clearTimeout(timer);
      timer = setTimeout(onChange, debounceMs);
    });
    watcher.on('error', () => undefined);
  } catch {
    // No watch support (some network filesystems): SIGHUP and the admin API still reload.
  }
  return () => {
    clearTimeout(timer);
    watcher?.close();
  };
}
