import * as React from 'react';
import { TranslationBundle } from '@jupyterlab/translation';

import { IJob, isActive } from '../api';
import { ErrorLine } from '../panel/Section';
import { IRepo, ISyncFile, ISyncResult } from './api';
import { ConflictActions } from './ConflictActions';

export type RepoAction =
  | 'clone'
  | 'sync'
  | 'reclone'
  | 'cancel'
  | 'open'
  | 'copy-link'
  | 'confirm-sync'
  | 'merge'
  | 'rebase'
  | 'branch'
  | 'dismiss-preview'
  | 'undo';

/** Errors a retry cannot fix: the folder must be moved first, so no Clone button. */
const BLOCKED = new Set(['target_occupied', 'path_outside_root']);

const BUTTON_MOD: Record<RepoAction, string> = {
  clone: 'jp-mod-accept',
  sync: 'jp-mod-accept',
  reclone: 'jp-mod-warn',
  cancel: 'jp-mod-reject',
  open: 'jp-mod-reject',
  'copy-link': 'jp-mod-reject',
  'confirm-sync': 'jp-mod-accept',
  merge: 'jp-mod-accept',
  rebase: 'jp-mod-accept',
  branch: 'jp-mod-accept',
  'dismiss-preview': 'jp-mod-reject',
  undo: 'jp-mod-warn'
};

/** The actions a repo row offers in its state (its buttons, and its context menu), in button order. */
export function rowActions(
  repo: IRepo,
  job: IJob | null,
  error: { code: string; message: string } | null
): RepoAction[] {
  if (job !== null && isActive(job)) {
    return ['cancel'];
  }
  const actions: RepoAction[] = [];
  if (repo.state !== 'cloned' && repo.status === null && !BLOCKED.has(error?.code ?? '')) {
    actions.push('clone');
  }
  if (repo.state === 'cloned') {
    actions.push('sync', 'open', 'copy-link');
  }
  if (error?.code === 'history_diverged') {
    actions.push('reclone');
  }
  return actions;
}

/** The label and tooltip of a row action, shared by the row's buttons and its context menu. */
export function actionText(
  action: RepoAction,
  repo: IRepo,
  trans: TranslationBundle
): { label: string; caption: string } {
  switch (action) {
    case 'cancel':
      return { label: trans.__('Cancel'), caption: trans.__('Stop; nothing half-done is left behind') };
    case 'clone':
      return { label: trans.__('Clone'), caption: trans.__('Clone into %1', repo.target) };
    case 'sync':
      return {
        label: trans.__('Sync…'),
        caption: trans.__('See what upstream changes would do; nothing changes yet')
      };
    case 'open':
      return { label: trans.__('Open'), caption: trans.__('Show %1 in the file browser', repo.target) };
    case 'copy-link':
      return {
        label: trans.__('Copy open link'),
        caption: trans.__('Copy a link that clones or syncs this repo and opens the current file (or the folder)')
      };
    case 'reclone':
      return {
        label: trans.__('Back up and re-clone'),
        caption: trans.__('Rename your folder (never deleted) and clone a fresh copy')
      };
    default:
      return { label: action, caption: '' };
  }
}

/** One catalog repo: source badge, state, status, actions, progress, last error and last sync report. */
export function RepoItem(props: {
  repo: IRepo;
  job: IJob | null;
  error: { code: string; message: string } | null;
  report: ISyncResult | null;
  preview: ISyncResult | null;
  trans: TranslationBundle;
  onAction: (action: RepoAction) => void;
  onDismissReport: () => void;
}): JSX.Element {
  const { repo, job, trans } = props;
  const active = job !== null && isActive(job) ? job : null;
  const running = active !== null;
  const error = props.error ?? repo.error ?? null;
  const button = (action: RepoAction, label: string, caption: string) => (
    <button
      className={`jp-Button jp-mod-styled ${BUTTON_MOD[action]}`}
      title={caption}
      data-action={action}
      onClick={() => props.onAction(action)}
    >
      {label}
    </button>
  );
  return (
    <li className="jp-StudioCollab-repo" data-repo-id={repo.id} data-state={active ? active.kind : repo.state}>
      <div className="jp-StudioCollab-repoTitle">
        <span className="jp-StudioCollab-repoName" title={repo.url}>
          {repo.name}
        </span>
        <span
          className="jp-StudioCollab-badge"
          title={trans.__('Where this repository comes from: %1', sourceLabel(repo.source, trans))}
        >
          {sourceLabel(repo.source, trans)}
        </span>
        {repo.private && (
          <span className="jp-StudioCollab-badge" title={trans.__('private')}>
            {trans.__('private')}
          </span>
        )}
        <span className="jp-StudioCollab-repoState" title={stateLabel(repo, running, trans)}>
          {stateLabel(repo, running, trans)}
        </span>
      </div>
      {repo.description && <p className="jp-StudioCollab-repoDescription">{repo.description}</p>}
      {repo.status && <p className="jp-StudioCollab-repoStatus">{statusLine(repo, trans)}</p>}
      {active && (
        <div className="jp-StudioCollab-repoProgress">
          <progress
            className="jp-StudioCollab-progress"
            max={1}
            value={active.progress}
            aria-label={trans.__('Progress of %1', repo.name)}
          />
          <span>{active.message}</span>
        </div>
      )}
      <div className="jp-StudioCollab-actions">
        {rowActions(repo, job, error).map(action => {
          const text = actionText(action, repo, trans);
          return <React.Fragment key={action}>{button(action, text.label, text.caption)}</React.Fragment>;
        })}
      </div>
      {error && !running && <ErrorLine code={error.code} message={error.message} />}
      {props.preview && !running && (
        <div className="jp-StudioCollab-syncPreview" role="status">
          <p className="jp-StudioCollab-syncReportTitle">
            {props.preview.files.length === 0
              ? trans.__('Nothing to bring in: you are up to date.')
              : trans._n('Sync would change %1 file:', 'Sync would change %1 files:', props.preview.files.length)}
          </p>
          <FileList files={props.preview.files} trans={trans} />
          {(props.preview.notes ?? []).map(note => (
            <p key={note}>{note}</p>
          ))}
          <div className="jp-StudioCollab-actions">
            {props.preview.choice_needed ? (
              <>
                {button('merge', trans.__('Merge'), trans.__('One merge commit, made with your git identity'))}
                {button('rebase', trans.__('Rebase'), trans.__('Replay your commits on top of upstream'))}
                {button(
                  'branch',
                  trans.__('Keep mine on a branch'),
                  trans.__('Your commits stay on a branch of their own; this branch follows upstream')
                )}
              </>
            ) : (
              props.preview.files.length > 0 &&
              button('confirm-sync', trans.__('Sync now'), trans.__('Apply exactly this; it can be undone'))
            )}
            {button('dismiss-preview', trans.__('Cancel'), trans.__('Change nothing'))}
          </div>
        </div>
      )}
      {props.report && (
        <SyncReport
          repoId={props.repo.id}
          report={props.report}
          trans={trans}
          onDismiss={props.onDismissReport}
          undo={
            props.report.undo && !running
              ? button('undo', trans.__('Undo sync'), trans.__('Put everything back as it was before this sync'))
              : null
          }
        />
      )}
    </li>
  );
}

function FileList(props: {
  files: ISyncFile[];
  trans: TranslationBundle;
  /** The sync whose conflicts can be resolved here (a report, not a preview). */
  resolvable?: { repoId: string; syncId: string };
}): JSX.Element {
  const { trans } = props;
  return (
    <ul>
      {props.files.map(file => (
        <li key={file.path} data-outcome={file.outcome}>
          <span className="jp-StudioCollab-badge">{outcomeLabel(file.outcome, trans)}</span> <code>{file.path}</code>
          {file.from && file.from !== file.path && <> {trans.__('(from %1)', file.from)}</>} {file.detail}
          {file.cells && file.cells.length > 0 && (
            <span className="jp-StudioCollab-syncCells"> {trans._n('%1 cell', '%1 cells', file.cells.length)}</span>
          )}
          {props.resolvable && (
            <ConflictActions
              repoId={props.resolvable.repoId}
              syncId={props.resolvable.syncId}
              file={file}
              trans={trans}
            />
          )}
        </li>
      ))}
    </ul>
  );
}

function SyncReport(props: {
  repoId: string;
  report: ISyncResult;
  trans: TranslationBundle;
  onDismiss: () => void;
  undo: JSX.Element | null;
}): JSX.Element {
  const { report, trans } = props;
  return (
    <div className="jp-StudioCollab-syncReport" role="status">
      <div className="jp-StudioCollab-syncReportTitle">
        <span>
          {report.files.length === 0
            ? trans.__('Sync done: nothing needed reconciling.')
            : trans._n('Sync reconciled %1 file:', 'Sync reconciled %1 files:', report.files.length)}
        </span>
        <button className="jp-Button jp-mod-styled jp-mod-reject" onClick={props.onDismiss}>
          {trans.__('Dismiss')}
        </button>
      </div>
      <FileList
        files={report.files}
        trans={trans}
        resolvable={report.undo ? { repoId: props.repoId, syncId: report.undo } : undefined}
      />
      {(report.notes ?? []).map(note => (
        <p key={note}>{note}</p>
      ))}
      {props.undo && <div className="jp-StudioCollab-actions">{props.undo}</div>}
    </div>
  );
}

function sourceLabel(source: IRepo['source'], trans: TranslationBundle): string {
  return {
    config: trans.__('admin'),
    domain: trans.__('domain'),
    space: trans.__('space'),
    user_profile: trans.__('profile')
  }[source];
}

function stateLabel(repo: IRepo, running: boolean, trans: TranslationBundle): string {
  if (running) {
    return repo.state === 'cloned' ? trans.__('syncing') : trans.__('cloning');
  }
  return {
    not_cloned: trans.__('not cloned'),
    cloning: trans.__('cloning'),
    cloned: trans.__('cloned'),
    error: trans.__('error')
  }[repo.state];
}

function statusLine(repo: IRepo, trans: TranslationBundle): string {
  const s = repo.status!;
  const parts = [s.branch ?? trans.__('detached'), s.head ?? '', trans.__('↑%1 ↓%2', s.ahead, s.behind)];
  if (s.dirty > 0) {
    parts.push(trans._n('%1 changed file', '%1 changed files', s.dirty));
  }
  if (s.updates_available) {
    parts.push(trans.__('updates available'));
  }
  return parts.filter(Boolean).join(' · ');
}

function outcomeLabel(outcome: string, trans: TranslationBundle): string {
  const labels: Record<string, string> = {
    merged: trans.__('merged'),
    kept_both: trans.__('kept both'),
    renamed: trans.__('renamed'),
    restored: trans.__('restored'),
    skipped: trans.__('skipped'),
    updated: trans.__('updated')
  };
  return labels[outcome] ?? outcome;
}
