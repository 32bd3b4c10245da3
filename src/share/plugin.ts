import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { DocumentRegistry } from '@jupyterlab/docregistry';
import { INotebookTracker } from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { shareIcon } from '@jupyterlab/ui-components';

import { shareFile } from './ShareDialog';

export namespace ShareCommandIDs {
  export const shareNotebook = 'studio-collab:share-notebook';
}

/**
 * Share in the notebook toolbar and the command palette (row U2). The toolbar item itself is declared in
 * schema/share.json (`jupyter.lab.toolbars`), so users can move or hide it in the toolbar settings.
 */
export const sharePlugin: JupyterFrontEndPlugin<void> = {
  id: 'studio-collab:share',
  description: 'Share a snapshot of the open notebook into a shared space of the domain.',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [ITranslator, ICommandPalette, ISettingRegistry],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    translator: ITranslator | null,
    palette: ICommandPalette | null,
    settingRegistry: ISettingRegistry | null
  ) => {
    const trans = (translator ?? nullTranslator).load('studio_collab');
    app.commands.addCommand(ShareCommandIDs.shareNotebook, {
      // "Share to space": distinct from the collaboration extension's live-session "Share" in the same lab.
      label: trans.__('Share to space'),
      caption: trans.__('Share a snapshot of this notebook with a shared space of the domain'),
      icon: shareIcon,
      isEnabled: () => tracker.currentWidget !== null,
      execute: async () => {
        const panel = tracker.currentWidget;
        if (!panel) {
          return false;
        }
        await panel.context.ready;
        // localPath: the server-side path, without any drive prefix.
        return shareFile(panel.context.localPath, trans, () => savedToDisk(panel.context));
      }
    });
    tracker.currentChanged.connect(() => app.commands.notifyCommandChanged(ShareCommandIDs.shareNotebook));
    palette?.addItem({ command: ShareCommandIDs.shareNotebook, category: 'Studio Collab' });
    // Loading this plugin's settings now puts its toolbar item in the registry before the first notebook
    // opens; otherwise the Notebook toolbar only learns of it when JupyterLab loads every setting, later.
    void settingRegistry?.load(sharePlugin.id);
  }
};

const SERVER_SAVE_WAIT_MS = 2500;

/**
 * The snapshot is of the file on disk, so unsaved changes are saved first. With real-time collaboration
 * (Studio's shared spaces) the server saves the document itself within a second or two of a change, and a
 * save from here would race it ("File Changed" dialog): wait for that first, and save only if it does not come.
 */
async function savedToDisk(context: DocumentRegistry.Context): Promise<void> {
  const model = context.model;
  if (!model.dirty || model.readOnly) {
    return;
  }
  const clean = new Promise<boolean>(resolve => {
    const onChange = () => {
      if (!model.dirty) {
        model.stateChanged.disconnect(onChange);
        resolve(true);
      }
    };
    model.stateChanged.connect(onChange);
    setTimeout(() => {
      model.stateChanged.disconnect(onChange);
      resolve(false);
    }, SERVER_SAVE_WAIT_MS);
  });
  if (!(await clean) && model.dirty) {
    await context.save();
  }
}
