import { ILayoutRestorer, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette, MainAreaWidget, WidgetTracker } from '@jupyterlab/apputils';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { IStateDB } from '@jupyterlab/statedb';
import { IStatusBar } from '@jupyterlab/statusbar';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';

import { watchOwnIdleShutdown } from './cost/idleWarning';
import { CostModel } from './cost/model';
import { CostStatusItem } from './cost/statusItem';
import { GitModel } from './git/model';
import { addRepoContextMenu } from './git/contextMenu';
import { ShareModel } from './share/model';
import { createExperimentsDocument } from './experiments/ExperimentsDocument';
import { studioCollabIcon } from './icons';
import { PanelModel } from './panel/model';
import { StudioCollabPanel } from './panel/Panel';
import { importPlugin } from './share/importPlugin';
import { sharePlugin } from './share/plugin';
import { gitPlugin } from './git/commands';

const PLUGIN_ID = 'studio-collab:plugin';

export namespace CommandIDs {
  export const openPanel = 'studio-collab:open-panel';
  export const openExperiments = 'studio-collab:open-experiments';
  export const openSection = 'studio-collab:open-section';
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'Git catalog, share links, experiments and cost for SageMaker Studio.',
  autoStart: true,
  optional: [
    ITranslator,
    ILayoutRestorer,
    ISettingRegistry,
    ICommandPalette,
    IRenderMimeRegistry,
    IStateDB,
    IStatusBar
  ],
  activate: (
    app: JupyterFrontEnd,
    translator: ITranslator | null,
    restorer: ILayoutRestorer | null,
    settingRegistry: ISettingRegistry | null,
    palette: ICommandPalette | null,
    rendermime: IRenderMimeRegistry | null,
    stateDB: IStateDB | null,
    statusBar: IStatusBar | null
  ) => {
    const trans = (translator ?? nullTranslator).load('studio_collab');
    const model = new PanelModel();
    // one model per feature: each owns its routes' polls, shared by every view that shows them
    const costModel = new CostModel(model);
    const gitModel = new GitModel(model);
    addRepoContextMenu(app, gitModel, trans);
    const shareModel = new ShareModel(model);
    const panel = new StudioCollabPanel({
      app,
      trans,
      translator: translator ?? nullTranslator,
      model,
      costModel,
      gitModel,
      shareModel,
      rendermime,
      stateDB,
      openExperiments: () => void app.commands.execute(CommandIDs.openExperiments)
    });
    panel.id = 'studio-collab-panel';
    panel.title.icon = studioCollabIcon;
    panel.title.caption = trans.__('Studio Collab');
    app.shell.add(panel, 'left', { rank: 450 });
    watchOwnIdleShutdown(trans, costModel); // warns before the own idle shutdown, panel open or not
    restorer?.add(panel, 'studio-collab-panel');
    void app.restored.then(() => panel.restoreState());

    app.commands.addCommand(CommandIDs.openPanel, {
      label: trans.__('Open Studio Collab panel'),
      execute: () => app.shell.activateById(panel.id)
    });
    app.commands.addCommand(CommandIDs.openSection, {
      label: args => trans.__('Open the Studio Collab section %1', String(args.section ?? '')),
      execute: args => {
        app.shell.activateById(panel.id);
        panel.openSection(String(args.section ?? ''));
      }
    });
    palette?.addItem({ command: CommandIDs.openPanel, category: 'Studio Collab' });

    // Experiments: one main-area tab, reopened after a reload like any document.
    const tracker = new WidgetTracker<MainAreaWidget<ReactWidget>>({ namespace: 'studio-collab-experiments' });
    app.commands.addCommand(CommandIDs.openExperiments, {
      label: trans.__('Open Experiments'),
      caption: trans.__('MLflow runs, training jobs and legacy Experiments, full width'),
      icon: studioCollabIcon,
      execute: () => {
        let widget = tracker.currentWidget;
        if (!widget || widget.isDisposed) {
          widget = createExperimentsDocument({ app, trans, model, rendermime, stateDB });
          void tracker.add(widget);
          app.shell.add(widget, 'main');
        }
        app.shell.activateById(widget.id);
        return widget;
      }
    });
    palette?.addItem({ command: CommandIDs.openExperiments, category: 'Studio Collab' });
    void restorer?.restore(tracker, { command: CommandIDs.openExperiments, name: () => 'experiments' });

    if (statusBar) {
      const item = new CostStatusItem(
        trans,
        costModel,
        () => void app.commands.execute(CommandIDs.openSection, { section: 'cost' })
      );
      statusBar.registerStatusItem('studio-collab:cost', { item, align: 'left', rank: 50 });
    }

    if (settingRegistry) {
      void settingRegistry.load(PLUGIN_ID).then(settings => {
        const apply = () => {
          model.pollIntervalSeconds = settings.get('pollIntervalSeconds').composite as number;
        };
        apply();
        settings.changed.connect(apply);
      });
    }
  }
};

export default [plugin, sharePlugin, gitPlugin, importPlugin];
