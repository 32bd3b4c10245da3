import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { watchOwnIdleShutdown } from './cost/idleWarning';
import { studioCollabIcon } from './icons';
import { StudioCollabPanel } from './panel/Panel';
import { sharePlugin } from './share/plugin';
import { gitPlugin } from './git/commands';

const PLUGIN_ID = 'studio-collab:plugin';

export namespace CommandIDs {
  export const openPanel = 'studio-collab:open-panel';
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'Git catalog, share links, experiments and cost for SageMaker Studio.',
  autoStart: true,
  optional: [ITranslator, ILayoutRestorer, ISettingRegistry, ICommandPalette, IRenderMimeRegistry],
  activate: (
    app: JupyterFrontEnd,
    translator: ITranslator | null,
    restorer: ILayoutRestorer | null,
    settingRegistry: ISettingRegistry | null,
    palette: ICommandPalette | null,
    rendermime: IRenderMimeRegistry | null
  ) => {
    const trans = (translator ?? nullTranslator).load('studio_collab');
    const panel = new StudioCollabPanel(app, trans, rendermime);
    panel.id = 'studio-collab-panel';
    panel.title.icon = studioCollabIcon;
    panel.title.caption = trans.__('Studio Collab');
    app.shell.add(panel, 'left', { rank: 450 });
    watchOwnIdleShutdown(trans); // warns before the own idle shutdown, panel open or not
    restorer?.add(panel, 'studio-collab-panel');

    app.commands.addCommand(CommandIDs.openPanel, {
      label: trans.__('Open Studio Collab panel'),
      execute: () => app.shell.activateById(panel.id)
    });
    palette?.addItem({ command: CommandIDs.openPanel, category: 'Studio Collab' });

    if (settingRegistry) {
      void settingRegistry.load(PLUGIN_ID).then(settings => {
        const apply = () => {
          panel.pollIntervalSeconds = settings.get('pollIntervalSeconds').composite as number;
        };
        apply();
        settings.changed.connect(apply);
      });
    }
  }
};

export default [plugin, sharePlugin, gitPlugin];
