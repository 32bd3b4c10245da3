import * as React from 'react';
import { JupyterFrontEnd } from '@jupyterlab/application';
import { MainAreaWidget } from '@jupyterlab/apputils';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget, UseSignal } from '@jupyterlab/ui-components';

import { studioCollabIcon } from '../icons';
import { PanelModel } from '../panel/model';
import { ErrorLine } from '../panel/Section';
import { listKeyNavigation } from '../panel/keys';
import { ExperimentsSection } from './ExperimentsSection';

/**
 * Experiments as a main-area document (a tab titled "Experiments"): the same views as before, given the
 * full width of the main area instead of a sidebar's 270 px.
 */
export function createExperimentsDocument(options: {
  app: JupyterFrontEnd;
  trans: TranslationBundle;
  model: PanelModel;
  rendermime: IRenderMimeRegistry | null;
}): MainAreaWidget<ReactWidget> {
  const { app, trans, model, rendermime } = options;
  const content = ReactWidget.create(
    <UseSignal signal={model.changed}>
      {() => {
        const status = model.status;
        if (!status) {
          return model.error ? (
            <ErrorLine code={model.error.code} message={model.error.message} />
          ) : (
            <p className="jp-StudioCollab-loading">{trans.__('Loading…')}</p>
          );
        }
        return (
          <div
            className="jp-StudioCollab-sectionBody jp-StudioCollab-experimentsDocument"
            data-section="experiments"
            key={model.generation}
            onKeyDown={listKeyNavigation}
          >
            <ExperimentsSection
              app={app}
              status={status}
              trans={trans}
              pollIntervalSeconds={model.pollIntervalSeconds}
              rendermime={rendermime}
            />
          </div>
        );
      }}
    </UseSignal>
  );
  content.addClass('jp-StudioCollab-experimentsContent');
  const widget = new MainAreaWidget({ content });
  widget.id = 'studio-collab-experiments';
  widget.title.label = trans.__('Experiments');
  widget.title.caption = trans.__('Experiments: MLflow runs, training jobs and legacy Experiments');
  widget.title.icon = studioCollabIcon;
  widget.title.closable = true;
  widget.addClass('jp-StudioCollab-experimentsWidget');
  model.start();
  return widget;
}
