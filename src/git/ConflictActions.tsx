import * as React from 'react';
import { Notification } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';

import { jsonInit, requestAPI, ApiError } from '../request';

/** What the resolve route answers (studio_collab/git/openapi.yaml, resolveSyncConflict). */
export interface IResolveResult {
  path: string;
  kept: 'mine' | 'theirs';
  conflict: string | null;
  conflicts_left: number;
  removed: string | null;
  sync_id: string;
}

/** A file the sync left as a conflict, as its report names it (only the fields this view needs). */
export interface IConflictedFile {
  path: string;
  outcome: string;
  beside?: string;
  conflicts?: number;
}

/**
 * Keep mine / take theirs for one file the latest sync left in conflict, or one notebook cell conflict
 * (`sync-1`…): only the work tree changes, never the index or a commit, and Undo sync still works after it.
 */
export function resolveConflict(
  repoId: string,
  syncId: string,
  path: string,
  keep: 'mine' | 'theirs',
  conflict?: string
): Promise<IResolveResult> {
  const url = `repos/${encodeURIComponent(repoId)}/syncs/${encodeURIComponent(syncId)}/resolve`;
  return requestAPI<IResolveResult>(url, jsonInit('POST', conflict ? { path, keep, conflict } : { path, keep }));
}

/**
 * The choices under a conflicted file of the sync report: for a notebook one pair per cell conflict (the ids
 * its note cells show) and one for all of them; for a text or binary file one pair. Each button says what it
 * keeps; once chosen, the row says what was kept.
 */
export function ConflictActions(props: {
  repoId: string;
  syncId: string;
  file: IConflictedFile;
  trans: TranslationBundle;
  /** After a choice: the report's owner refreshes the repo's status (the file changed on disk). */
  onResolved?: (result: IResolveResult) => void;
}): JSX.Element | null {
  const { file, trans } = props;
  const [kept, setKept] = React.useState<Record<string, 'mine' | 'theirs'>>({});
  const [busy, setBusy] = React.useState<string | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  if (file.outcome !== 'kept_both') {
    return null;
  }
  const cellIds = Array.from({ length: file.conflicts ?? 0 }, (_, i) => `sync-${i + 1}`);
  const whole = '';
  const choose = async (keep: 'mine' | 'theirs', conflict: string) => {
    setBusy(conflict);
    setError(null);
    try {
      const result = await resolveConflict(props.repoId, props.syncId, file.path, keep, conflict || undefined);
      setKept(all =>
        conflict ? { ...all, [conflict]: keep } : Object.fromEntries([whole, ...cellIds].map(id => [id, keep]))
      );
      Notification.success(
        keep === 'mine'
          ? trans.__('Kept your version of %1. Undo sync still puts everything back.', file.path)
          : trans.__("Took upstream's version of %1. Undo sync still puts everything back.", file.path),
        { autoClose: 5000 }
      );
      props.onResolved?.(result);
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
    } finally {
      setBusy(null);
    }
  };
  const pair = (conflict: string, label: string) => {
    const cellsDone = !conflict && cellIds.length > 1 && cellIds.every(id => kept[id]);
    const done = kept[conflict] ?? (cellsDone ? kept[cellIds[cellIds.length - 1]] : undefined);
    return (
      <div className="jp-StudioCollab-conflictRow" key={conflict || 'file'} data-conflict={conflict || undefined}>
        <span className="jp-StudioCollab-conflictLabel">{label}</span>
        {done ? (
          <span className="jp-StudioCollab-conflictDone" role="status">
            {done === 'mine' ? trans.__('yours kept') : trans.__("upstream's taken")}
          </span>
        ) : (
          <>
            <button
              className="jp-Button jp-mod-styled jp-mod-reject"
              disabled={busy !== null}
              title={trans.__('Keep your version; drop upstream’s')}
              aria-label={trans.__('Keep mine: %1', label)}
              onClick={() => void choose('mine', conflict)}
            >
              {trans.__('Keep mine')}
            </button>
            <button
              className="jp-Button jp-mod-styled jp-mod-reject"
              disabled={busy !== null}
              title={trans.__('Take upstream’s version; drop yours')}
              aria-label={trans.__('Take theirs: %1', label)}
              onClick={() => void choose('theirs', conflict)}
            >
              {trans.__('Take theirs')}
            </button>
          </>
        )}
      </div>
    );
  };
  return (
    <div className="jp-StudioCollab-conflicts" aria-label={trans.__('Resolve %1', file.path)}>
      {cellIds.length > 1 && cellIds.map(id => pair(id, trans.__('Cell conflict %1', id)))}
      {pair(
        whole,
        cellIds.length > 1
          ? trans.__('All cell conflicts')
          : file.beside
            ? trans.__('Whole file (upstream’s copy: %1)', file.beside)
            : trans.__('Whole file')
      )}
      {error && (
        <p className="jp-StudioCollab-errorMessage" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
