import * as React from 'react';
import { Clipboard, Dialog, Notification, showDialog } from '@jupyterlab/apputils';
import { DocumentWidget } from '@jupyterlab/docregistry';

import { cancelJob, followJob, IJob } from '../api';
import { Unavailable } from '../panel/Section';
import { ISectionProps } from '../panel/context';
import { usePoll } from '../panel/usePoll';
import { ApiError } from '../request';
import { cloneRepo, IRepo, ISyncResult, openLink, repoOfPath, SyncChoice, syncRepo, undoSync } from './api';
import { GitModel } from './model';
import { followInNotification } from './progress';
import { RepoAction, RepoItem } from './RepoItem';

type Problem = { code: string; message: string };

/** The Repositories section (rows G1-G8): the catalog with state, status, actions and live progress. */
export function GitSection(props: ISectionProps & { model: GitModel }): JSX.Element {
  const feature = props.status.features.git ?? { available: false, reason: null };
  if (!feature.available) {
    return <Unavailable reason={feature.reason} fallback={props.trans.__('Repositories are not available.')} />;
  }
  return <RepoList {...props} />;
}

function RepoList(props: ISectionProps & { model: GitModel }): JSX.Element {
  const { trans, app, model } = props;
  const { value: list, error: loadError } = usePoll(model.repos, {
    seconds: c => c.pollIntervalSeconds,
    whilePanelVisible: true
  });
  const [, setSeen] = React.useState(0);
  const refresh = () => void model.repos.refresh();
  const finished = (repo: IRepo, job: IJob) => model.end(repo, job);

  // The model follows every job (this tab's and those the server lists) and keeps each repo's outcome.
  React.useEffect(() => {
    const onChange = () => setSeen(n => n + 1);
    model.changed.connect(onChange);
    return () => void model.changed.disconnect(onChange);
  }, [model]);

  // A save (jupyter_server's contents events make the server's status fresh at once) refreshes the list now.
  React.useEffect(() => {
    const contents = app.serviceManager.contents;
    const onChange = (_: unknown, change: { type: string }) => {
      if (change.type === 'save' || change.type === 'rename' || change.type === 'delete') {
        refresh();
      }
    };
    contents.fileChanged.connect(onChange);
    return () => void contents.fileChanged.disconnect(onChange);
  }, [app]);

  /** Sync starts with a preview: nothing changes until the user confirms what they see. */
  const preview = async (repo: IRepo) => {
    model.setOutcome(repo.id, { error: null, report: null, preview: null });
    try {
      const job = await syncRepo(repo.id, { preview: true });
      model.track(repo, job);
      finished(repo, await followJob(job.id, update => model.update(repo, update)));
    } catch (err) {
      model.setOutcome(repo.id, { error: problem(err) });
    }
  };

  const undo = async (repo: IRepo, syncId: string) => {
    const answer = await showDialog({
      title: trans.__('Undo the last sync of %1?', repo.name),
      body: trans.__('HEAD, staged changes and every file the sync touched go back exactly as they were before it.'),
      buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: trans.__('Undo sync') })]
    });
    if (!answer.button.accept) {
      return;
    }
    try {
      const job = await undoSync(repo.id, syncId);
      model.track(repo, job);
      const final = await followInNotification<unknown>(job, trans.__('Undoing the sync of %1', repo.name), trans, {
        onUpdate: update => model.update(repo, update),
        success: () => trans.__('%1 is back as it was before the sync.', repo.name)
      });
      if (final.state === 'succeeded') {
        model.setOutcome(repo.id, { report: null });
      }
      finished(repo, final);
    } catch (err) {
      model.setOutcome(repo.id, { error: problem(err) });
    }
  };

  const start = async (repo: IRepo, action: 'clone' | 'sync' | 'reclone', choice?: SyncChoice) => {
    const confirmed = action === 'sync' ? model.outcome(repo.id).preview?.upstream : undefined;
    model.setOutcome(repo.id, { error: null, report: null, preview: null });
    try {
      const job =
        action === 'clone'
          ? await cloneRepo(repo.id)
          : await syncRepo(repo.id, { backupAndReclone: action === 'reclone', choice, expectUpstream: confirmed });
      model.track(repo, job);
      const title = action === 'clone' ? trans.__('Cloning %1', repo.name) : trans.__('Syncing %1', repo.name);
      const final = await followInNotification<unknown>(job, title, trans, {
        onUpdate: update => model.update(repo, update),
        success: done =>
          done.kind === 'git_clone'
            ? trans.__('%1 is cloned into %2.', repo.name, repo.target)
            : trans._n(
                '%2 is in sync (%1 file reconciled).',
                '%2 is in sync (%1 files reconciled).',
                (done.result as ISyncResult).files.length,
                repo.name
              )
      });
      finished(repo, final);
    } catch (err) {
      const answer = problem(err);
      model.setOutcome(repo.id, { error: answer });
      Notification.error(`${repo.name}: [${answer.code}] ${answer.message}`, { autoClose: 8000 });
    }
  };

  const act = async (repo: IRepo, action: RepoAction) => {
    switch (action) {
      case 'clone':
        return start(repo, action);
      case 'sync':
        return preview(repo);
      case 'confirm-sync':
        return start(repo, 'sync');
      case 'merge':
      case 'rebase':
      case 'branch':
        return start(repo, 'sync', action);
      case 'dismiss-preview':
        return model.setOutcome(repo.id, { preview: null });
      case 'undo': {
        const syncId = model.outcome(repo.id).report?.undo;
        return syncId ? undo(repo, syncId) : undefined;
      }
      case 'reclone': {
        const answer = await showDialog({
          title: trans.__('Back up and re-clone %1?', repo.name),
          body: trans.__('Your folder %1 is renamed (nothing is deleted) and a fresh copy is cloned.', repo.target),
          buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: trans.__('Back up and re-clone') })]
        });
        return answer.button.accept ? start(repo, 'reclone') : undefined;
      }
      case 'cancel': {
        const job = model.job(repo.id) ?? repo.job;
        return job ? void cancelJob(job.id).catch(err => Notification.error(problem(err).message)) : undefined;
      }
      case 'open':
        return void app.commands.execute('filebrowser:go-to-path', { path: repo.target });
      case 'copy-link': {
        const current = app.shell.currentWidget;
        const path = current instanceof DocumentWidget ? current.context.path : '';
        const inside = list ? repoOfPath([repo], path) : null;
        Clipboard.copyToSystem(openLink(repo.id, inside?.inner ?? ''));
        Notification.success(
          inside ? trans.__('Open link to %1 copied.', path) : trans.__('Open link to %1 copied.', repo.target),
          { autoClose: 4000 }
        );
        return;
      }
    }
  };

  // The rows' context menu runs the same handler (set on every render: it reads this render's list).
  React.useEffect(() => {
    model.setActor((repo, action) => void act(repo, action));
  });
  React.useEffect(() => () => model.setActor(null), [model]);

  if (!list) {
    return loadError ? (
      <Unavailable reason={`${loadError.code}: ${loadError.message}`} fallback="" />
    ) : (
      <p>{trans.__('Loading repositories…')}</p>
    );
  }
  return (
    <div className="jp-StudioCollab-git">
      {list.repos.length === 0 && (
        <p className="jp-StudioCollab-unavailable">
          {trans.__(
            'No repositories are configured for this space. Admins add them to the domain, the space or the ' +
              'user profile, or to the studio-collab config.'
          )}
        </p>
      )}
      <ul className="jp-StudioCollab-repoList">
        {list.repos.map(repo => (
          <RepoItem
            key={repo.id}
            repo={repo}
            job={model.currentJob(repo)}
            error={model.outcome(repo.id).error}
            report={model.outcome(repo.id).report}
            preview={model.outcome(repo.id).preview}
            trans={trans}
            onAction={action => void act(repo, action)}
            onDismissReport={() => model.setOutcome(repo.id, { report: null })}
          />
        ))}
      </ul>
      {(list.warnings ?? []).map(warning => (
        <p key={warning} className="jp-StudioCollab-warning">
          {warning}
        </p>
      ))}
    </div>
  );
}

function problem(err: unknown): Problem {
  return err instanceof ApiError
    ? { code: err.code, message: err.message }
    : { code: 'error', message: err instanceof Error ? err.message : String(err) };
}
