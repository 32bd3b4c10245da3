import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { Clipboard, ICommandPalette, InputDialog, Notification } from '@jupyterlab/apputils';
import { DocumentWidget } from '@jupyterlab/docregistry';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { ApiError } from '../request';
import { cloneRepo, listRepos, openLink, repoOfPath } from './api';
import { followInNotification } from './progress';

export namespace GitCommandIDs {
  export const cloneRepository = 'studio-collab:git-clone-repository';
  export const copyOpenLink = 'studio-collab:git-copy-open-link';
}

/** "Clone repository…" and "Copy open link to this file" in the command palette. */
export const gitPlugin: JupyterFrontEndPlugin<void> = {
  id: 'studio-collab:git',
  description: 'Clone catalog repositories and copy open-in-Studio links from the command palette.',
  autoStart: true,
  optional: [ITranslator, ICommandPalette],
  activate: (app: JupyterFrontEnd, translator: ITranslator | null, palette: ICommandPalette | null) => {
    const trans = (translator ?? nullTranslator).load('studio_collab');

    app.commands.addCommand(GitCommandIDs.cloneRepository, {
      label: trans.__('Clone repository…'),
      caption: trans.__('Clone a repository of the catalog, with progress'),
      execute: async () => {
        try {
          const candidates = (await listRepos()).repos.filter(r => r.state === 'not_cloned' || r.state === 'error');
          if (candidates.length === 0) {
            Notification.info(trans.__('Every catalog repository is already cloned.'), { autoClose: 5000 });
            return;
          }
          const labels = candidates.map(r => `${r.name} → ${r.target}`);
          const choice = await InputDialog.getItem({
            title: trans.__('Clone repository'),
            label: trans.__('Repository'),
            items: labels
          });
          const repo = choice.button.accept ? candidates[labels.indexOf(choice.value ?? '')] : undefined;
          if (!repo) {
            return;
          }
          const job = await cloneRepo(repo.id);
          await followInNotification(job, trans.__('Cloning %1', repo.name), trans, {
            success: () => trans.__('%1 is cloned into %2.', repo.name, repo.target)
          });
        } catch (err) {
          const e = err instanceof ApiError ? err : new ApiError('error', String(err), 0);
          Notification.error(`[${e.code}] ${e.message}`, { autoClose: 8000 });
        }
      }
    });

    app.commands.addCommand(GitCommandIDs.copyOpenLink, {
      label: trans.__('Copy open link to this file'),
      caption: trans.__('A link that clones or syncs the file’s repository, then opens the file'),
      isEnabled: () => app.shell.currentWidget instanceof DocumentWidget,
      execute: async () => {
        const current = app.shell.currentWidget;
        if (!(current instanceof DocumentWidget)) {
          return;
        }
        const path = current.context.path;
        try {
          const found = repoOfPath((await listRepos()).repos, path);
          if (!found) {
            Notification.warning(trans.__('%1 is not inside a catalog repository.', path), { autoClose: 5000 });
            return;
          }
          Clipboard.copyToSystem(openLink(found.repo.id, found.inner));
          Notification.success(trans.__('Open link to %1 copied.', path), { autoClose: 4000 });
        } catch (err) {
          Notification.error(err instanceof ApiError ? `[${err.code}] ${err.message}` : String(err));
        }
      }
    });

    palette?.addItem({ command: GitCommandIDs.cloneRepository, category: 'Studio Collab' });
    palette?.addItem({ command: GitCommandIDs.copyOpenLink, category: 'Studio Collab' });
  }
};
