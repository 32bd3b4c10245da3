import * as React from 'react';
import { JupyterFrontEnd } from '@jupyterlab/application';
import { MainAreaWidget } from '@jupyterlab/apputils';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { IStateDB } from '@jupyterlab/statedb';
import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';

import { studioCollabIcon } from '../icons';
import { PanelModel } from '../panel/model';
import { ModelBody } from '../panel/Section';
import { ExperimentsSection } from './ExperimentsSection';
import { ExperimentsModel } from './model';

/**
 * Experiments as a main-area document (a tab titled "Experiments"): the same views as before, given the
 * full width of the main area instead of a sidebar's 270 px.
 */
export function createExperimentsDocument(options: {
  app: JupyterFrontEnd;
  trans: TranslationBundle;
  model: PanelModel;
  rendermime: IRenderMimeRegistry | null;
  stateDB: IStateDB | null;
}): MainAreaWidget<ReactWidget> {
  const { app, trans, model, rendermime, stateDB } = options;
  // The tab's own state (experiment, order, pages, selection) lives as long as the tab, across Refresh; the
  // column choices outlive it in the state database.
  const experiments = new ExperimentsModel({ pollIntervalSeconds: model.pollIntervalSeconds, stateDB });
  const content = ReactWidget.create(
    <ModelBody
      model={model}
      trans={trans}
      className="jp-StudioCollab-sectionBody jp-StudioCollab-experimentsDocument"
      section="experiments"
    >
      {status => (
        <ExperimentsSection
          app={app}
          model={experiments}
          status={status}
          trans={trans}
          pollIntervalSeconds={model.pollIntervalSeconds}
          rendermime={rendermime}
        />
      )}
    </ModelBody>
  );
  content.addClass('jp-StudioCollab-experimentsContent');
  const widget = new MainAreaWidget({ content });
  widget.id = 'studio-collab-experiments';
  widget.title.label = trans.__('Experiments');
  widget.title.caption = trans.__('Experiments: MLflow runs, training jobs and legacy Experiments');
  widget.title.icon = studioCollabIcon;
  widget.title.closable = true;
  widget.addClass('jp-StudioCollab-experimentsWidget');
  const statusNeed = model.needStatus(); // the tab shows the status whether or not the sidebar does
  widget.disposed.connect(() => {
    statusNeed.dispose();
    experiments.dispose();
  });
  return widget;
}
