import * as React from 'react';
import { Notification } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';

import { politePoll } from '../polling';
import { ApiError } from '../request';
import { ErrorLine } from '../panel/Section';
import { getIdle, IIdleAnswer, IIdlePolicy, keepAlive } from './api';
import { countdown, duration } from './format';

function policyLabel(policy: IIdlePolicy, trans: TranslationBundle): string {
  switch (policy.source) {
    case 'space':
      return trans.__("this space's idle shutdown");
    case 'user_profile':
      return trans.__("your user profile's idle shutdown");
    case 'domain':
      return trans.__("the domain's idle shutdown");
    case 'studio_collab':
      return trans.__("Studio Collab's own idle shutdown");
    case 'none':
      return trans.__('no idle shutdown');
  }
}

/**
 * This app's idleness (C3) and the countdown to whichever idle shutdown comes first, with Keep alive for
 * the own shutdown (C4); the warning notification itself comes from watchOwnIdleShutdown.
 */
export function IdleCard(props: {
  trans: TranslationBundle;
  pollIntervalSeconds: number;
}): JSX.Element {
  const { trans } = props;
  const [idle, setIdle] = React.useState<IIdleAnswer | null>(null);
  const [error, setError] = React.useState<ApiError | null>(null);
  const [now, setNow] = React.useState(Date.now());
  const skew = React.useRef(0); // server clock minus browser clock

  const apply = (answer: IIdleAnswer) => {
    skew.current = Date.parse(answer.server_time) - Date.now();
    setIdle(answer);
    setError(null);
  };

  const onKeepAlive = async () => {
    try {
      apply(await keepAlive());
      Notification.success(trans.__('Kept alive: the idle countdown starts again.'), {
        autoClose: 3000
      });
    } catch (err) {
      Notification.error(err instanceof ApiError ? err.message : String(err));
    }
  };

  React.useEffect(() => {
    const poll = politePoll('idle', props.pollIntervalSeconds, async () => {
      try {
        apply(await getIdle());
      } catch (err) {
        setError(err instanceof ApiError ? err : new ApiError('error', String(err), 0));
        throw err;
      }
    });
    const tick = window.setInterval(() => setNow(Date.now()), 1000);
    return () => {
      poll.dispose();
      window.clearInterval(tick);
    };
  }, [props.pollIntervalSeconds]);

  const warning = idle?.own_shutdown.warning ?? false;

  if (error && !idle) {
    return <ErrorLine code={error.code} message={error.message} />;
  }
  if (!idle) {
    return <p>{trans.__('Loading…')}</p>;
  }
  const serverNow = now + skew.current;
  const last = idle.last_activity ? Date.parse(idle.last_activity) : null;
  const shutdownAt = idle.shutdown_at ? Date.parse(idle.shutdown_at) : null;
  const busy = idle.kernels.filter(k => k.execution_state === 'busy').length;
  return (
    <div className="jp-StudioCollab-idleCard" data-warning={warning}>
      <p>
        {idle.busy
          ? trans.__('Busy: %1 kernel(s) running code.', busy)
          : last !== null
            ? trans.__('Idle for %1.', duration(serverNow - last, trans))
            : trans.__('No activity recorded yet.')}{' '}
        {trans.__('%1 kernel(s), %2 terminal(s).', idle.kernels.length, idle.terminals.length)}
      </p>
      <p>
        {shutdownAt !== null ? (
          <>
            {trans.__('Stops in')}{' '}
            <strong className="jp-StudioCollab-countdown" aria-live="off">
              {countdown(shutdownAt - serverNow)}
            </strong>{' '}
            {trans.__(
              'by %1 (after %2 idle minutes).',
              policyLabel(idle.policy, trans),
              idle.policy.timeout_minutes ?? ''
            )}
          </>
        ) : idle.policy.source === 'none' ? (
          trans.__('No idle shutdown applies: this app runs (and bills) until someone stops it.')
        ) : (
          trans.__('Not idle, so %1 is not counting down.', policyLabel(idle.policy, trans))
        )}
      </p>
      {idle.own_shutdown.error && (
        <ErrorLine code="idle_shutdown_failed" message={idle.own_shutdown.error} />
      )}
      {idle.notes.map(note => (
        <p key={note} className="jp-StudioCollab-unavailable">
          {note}
        </p>
      ))}
      {shutdownAt !== null && !idle.own_shutdown.enabled && (
        <p className="jp-StudioCollab-unavailable">
          {trans.__(
            'Running a cell or typing in a terminal counts as activity; an open notebook alone does not.'
          )}
        </p>
      )}
      {idle.own_shutdown.enabled && (
        <button className="jp-mod-styled jp-mod-accept" onClick={() => void onKeepAlive()}>
          {trans.__('Keep alive')}
        </button>
      )}
    </div>
  );
}
