import { JupyterFrontEnd } from '@jupyterlab/application';
import { TranslationBundle } from '@jupyterlab/translation';

import { GitModel } from './model';
import { actionText, RepoAction } from './RepoItem';

/** The row actions the context menu offers, in the order of the row's buttons. */
const MENU_ACTIONS: RepoAction[] = ['clone', 'sync', 'open', 'copy-link', 'cancel', 'reclone'];

const ROW_SELECTOR = '.jp-StudioCollab-repo';

/**
 * Right-click on a repo row: JupyterLab's context menu with the actions the row's buttons offer in its
 * state. Each command reads the clicked row's `data-repo-id` and runs the Repositories view's own handler.
 */
export function addRepoContextMenu(app: JupyterFrontEnd, model: GitModel, trans: TranslationBundle): void {
  const clickedRepoId = (): string | null => {
    const row = app.contextMenuHitTest(node => node.matches(ROW_SELECTOR));
    return row?.dataset.repoId ?? null;
  };
  MENU_ACTIONS.forEach((action, rank) => {
    const command = `studio-collab:repo-${action}`;
    const text = () => {
      const id = clickedRepoId();
      const repo = id ? model.repo(id) : undefined;
      return repo ? actionText(action, repo, trans) : null;
    };
    app.commands.addCommand(command, {
      label: () => text()?.label ?? action,
      caption: () => text()?.caption ?? '',
      isVisible: () => {
        const id = clickedRepoId();
        return id !== null && model.actionsOf(id).includes(action);
      },
      execute: () => {
        const id = clickedRepoId();
        if (id && model.actionsOf(id).includes(action)) {
          model.act(id, action);
        }
      }
    });
    app.contextMenu.addItem({ command, selector: ROW_SELECTOR, rank: 10 + rank });
  });
}
