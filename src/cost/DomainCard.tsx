import * as React from 'react';
import { TranslationBundle } from '@jupyterlab/translation';

import { IStatus } from '../api';
import { ApiError } from '../request';
import { getDomainPosture, IDomainPosture, IFinding } from './api';

const SEVERITY_CLASS: Record<IFinding['severity'], string> = {
  warning: 'jp-mod-warn',
  ok: 'jp-mod-ok',
  info: ''
};

function severityLabel(severity: IFinding['severity'], trans: TranslationBundle): string {
  switch (severity) {
    case 'warning':
      return trans.__('warning');
    case 'ok':
      return trans.__('ok');
    case 'info':
      return trans.__('note');
  }
}

/**
 * The domain's setup posture (D2) in the panel header: a verdict badge (a warning for Quick setup)
 * and, on demand, each finding with why it matters.
 */
export function DomainCard(props: { status: IStatus; trans: TranslationBundle }): JSX.Element | null {
  const { trans, status } = props;
  const [posture, setPosture] = React.useState<IDomainPosture | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  const inStudio = status.studio.in_studio;
  const domainId = status.studio.domain_id;

  React.useEffect(() => {
    if (!inStudio || !status.features.cost.available) {
      return;
    }
    let live = true;
    // Posture changes only when an admin edits the domain: once per panel (and domain) is enough.
    getDomainPosture().then(
      answer => live && setPosture(answer),
      err => live && setError(err instanceof ApiError ? err.message : String(err))
    );
    return () => {
      live = false;
    };
  }, [inStudio, domainId, status.features.cost.available]);

  if (!inStudio || (!posture && !error)) {
    return null;
  }
  if (!posture) {
    return <p className="jp-StudioCollab-error">{error}</p>;
  }
  const badge = {
    quick: { label: trans.__('Quick setup'), mod: 'jp-mod-warn' },
    manual: { label: trans.__('Manual setup'), mod: 'jp-mod-ok' },
    unknown: { label: trans.__('Setup unknown'), mod: '' }
  }[posture.verdict];
  const summary = {
    quick: trans.__('Fine for learning and proofs of concept, not for production or sensitive data.'),
    manual: trans.__('Set up deliberately, as production needs. Findings below.'),
    unknown: trans.__('Could not tell how this domain was set up. Findings below.')
  }[posture.verdict];
  const warnings = posture.findings.filter(f => f.severity === 'warning').length;
  return (
    <details className="jp-StudioCollab-domainCard" data-verdict={posture.verdict}>
      <summary>
        <span className={`jp-StudioCollab-badge ${badge.mod}`}>{badge.label}</span>
        {warnings > 0 && (
          <span className="jp-StudioCollab-domainWarnings">{trans._n('%1 warning', '%1 warnings', warnings)}</span>
        )}
      </summary>
      <p>{summary}</p>
      <dl className="jp-StudioCollab-context">
        <dt>{trans.__('Sign-in')}</dt>
        <dd>{posture.auth_mode ?? '—'}</dd>
        <dt>{trans.__('Network')}</dt>
        <dd>{posture.network_access ?? '—'}</dd>
        <dt>{trans.__('VPC')}</dt>
        <dd>
          {posture.vpc.id ?? '—'}
          {posture.vpc.is_default === true && ` (${trans.__('default')})`}
        </dd>
        <dt>{trans.__('KMS key')}</dt>
        <dd>{posture.kms_key_id ?? trans.__('none')}</dd>
        <dt>{trans.__('Role')}</dt>
        <dd>{posture.execution_role ?? '—'}</dd>
      </dl>
      <ul className="jp-StudioCollab-findings">
        {posture.findings.map(f => (
          <li key={f.id} data-severity={f.severity}>
            <span className={`jp-StudioCollab-badge ${SEVERITY_CLASS[f.severity]}`}>
              {severityLabel(f.severity, trans)}
            </span>
            {f.message}
          </li>
        ))}
      </ul>
    </details>
  );
}
