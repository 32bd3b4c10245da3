import * as React from 'react';
import { TranslationBundle } from '@jupyterlab/translation';
import { UseSignal } from '@jupyterlab/ui-components';

import { IStatus } from '../api';
import { listKeyNavigation } from './keys';
import { PanelModel } from './model';
/** What a section shows while its feature cannot work here (never fake data). */
export function Unavailable(props: { reason: string | null; fallback: string }): JSX.Element {
  return <p className="jp-StudioCollab-unavailable">{props.reason ?? props.fallback}</p>;
}

/**
 * An error as the server words it (a sentence and the next step), set as text; its stable code only on a
 * small details line under it, for a bug report.
 */
export function ErrorLine(props: { code: string; message: string }): JSX.Element {
  return (
    <div className="jp-StudioCollab-error" role="alert">
      <p className="jp-StudioCollab-errorMessage">{props.message}</p>
      <p className="jp-StudioCollab-errorCode">
        <code>{props.code}</code>
      </p>
    </div>
  );
}

/**
 * A view of the panel model, for a sidebar section and the Experiments tab alike: "Loading…" or the model's
 * error until the status is known, then the view, re-created when Refresh bumps the model's generation.
 */
export function ModelBody(props: {
  model: PanelModel;
  trans: TranslationBundle;
  className: string;
  section: string;
  children: (status: IStatus) => React.ReactNode;
}): JSX.Element {
  const { model, trans } = props;
  return (
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
            className={props.className}
            data-section={props.section}
            key={model.generation}
            onKeyDown={listKeyNavigation}
          >
            {props.children(status)}
          </div>
        );
      }}
    </UseSignal>
  );
}
