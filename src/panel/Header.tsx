import * as React from 'react';
import { TranslationBundle } from '@jupyterlab/translation';

import { IStatus } from '../api';

/** "Where am I" (row D1): domain, space, owner, region; plainly "not in Studio" elsewhere. */
export function Header(props: {
  status: IStatus | null;
  error: string | null;
  trans: TranslationBundle;
  children?: React.ReactNode;
}): JSX.Element {
  const { status, trans } = props;
  if (!status) {
    return (
      <header className="jp-StudioCollab-header">
        <p>{props.error ?? trans.__('Loading…')}</p>
      </header>
    );
  }
  const studio = status.studio;
  const rows: [string, string | null][] = [
    [trans.__('Domain'), studio.domain_id],
    [
      trans.__('Space'),
      studio.space_name ? `${studio.space_name} (${studio.space_type ?? trans.__('unknown type')})` : null
    ],
    [trans.__('Owner'), studio.owner],
    [trans.__('You'), studio.user],
    [trans.__('Region'), studio.region]
  ];
  return (
    <header className="jp-StudioCollab-header">
      {status.environment_label && (
        <span className="jp-StudioCollab-badge jp-StudioCollab-envLabel">{status.environment_label}</span>
      )}
      {studio.in_studio ? (
        <dl className="jp-StudioCollab-context">
          {rows.map(([label, value]) => (
            <React.Fragment key={label}>
              <dt>{label}</dt>
              <dd>{value ?? '—'}</dd>
            </React.Fragment>
          ))}
        </dl>
      ) : (
        <p className="jp-StudioCollab-notStudio">
          <strong>{trans.__('Not running in SageMaker Studio.')}</strong>{' '}
          {trans.__('Studio features (domain, spaces, cost) need its resource metadata.')}
        </p>
      )}
      {props.children}
      {props.error && <p className="jp-StudioCollab-error">{props.error}</p>}
    </header>
  );
}
