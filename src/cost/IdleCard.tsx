import * as React from 'react';
import { Dialog, Notification, showDialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';

import { politePoll } from '../polling';
import { ApiError } from '../request';
import { ErrorLine } from '../panel/Section';
import {
  getIdle,
  IIdleAnswer,
  IIdleBlocker,
  IIdlePolicy,
  keepAlive,
  setSpaceIdleTimeout,
  shutdownBlocker
} from './api';
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
 * Why Studio's idle shutdown does not count (C11): every open kernel and terminal, each with a Shut down
 * button (confirmed first).
 */
function Blockers(props: {
  blockers: IIdleBlocker[];
  trans: TranslationBundle;
  onShutDown: (blocker: IIdleBlocker) => void;
}): JSX.Element | null {
  const { trans } = props;
  if (props.blockers.length === 0) {
    return null;
  }
  return (
    <div className="jp-StudioCollab-idleBlockers">
      <p>
        {trans._n(
          'Studio counts this app as active while this stays open:',
          'Studio counts this app as active while these %1 stay open:',
          props.blockers.length
        )}
      </p>
      <ul>
        {props.blockers.map(b => (
          <li key={`${b.kind}-${b.id}`} data-kind={b.kind}>
            <span title={b.path ?? undefined}>
              {b.kind === 'kernel'
                ? trans.__('Kernel %1 (%2)', b.path ?? b.name ?? b.id, b.state ?? '?')
                : trans.__('Terminal %1', b.id)}
            </span>{' '}
            <button
              className="jp-mod-styled jp-mod-warn"
              disabled={b.state === 'busy'}
              aria-label={trans.__('Shut down %1', b.path ?? b.name ?? b.id)}
              onClick={() => props.onShutDown(b)}
            >
              {trans.__('Shut down')}
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}

/** This space's own idle timeout, within the range the admin allows (owner only; the server checks). */
function TimeoutForm(props: {
  policy: IIdlePolicy;
  trans: TranslationBundle;
  onSet: (minutes: number) => void;
}): JSX.Element | null {
  const { trans, policy } = props;
  const range = policy.range;
  const [minutes, setMinutes] = React.useState<string>('');
  if (!range) {
    return null;
  }
  const value = Number(minutes);
  const valid = Number.isInteger(value) && value >= range.min && value <= range.max;
  return (
    <form
      className="jp-StudioCollab-idleTimeout"
      onSubmit={event => {
        event.preventDefault();
        if (valid) {
          props.onSet(value);
        }
      }}
    >
      <label>
        {trans.__('Idle timeout of this space (%1–%2 min):', range.min, range.max)}{' '}
        <input
          type="number"
          min={range.min}
          max={range.max}
          step={1}
          value={minutes}
          placeholder={String(policy.timeout_minutes ?? '')}
          onChange={event => setMinutes(event.target.value)}
        />
      </label>{' '}
      <button type="submit" className="jp-mod-styled" disabled={!valid}>
        {trans.__('Set')}
      </button>
    </form>
  );
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

  const onShutDown = async (blocker: IIdleBlocker) => {
    const what = blocker.kind === 'kernel' ? blocker.path ?? blocker.name ?? blocker.id : blocker.name;
    const answer = await showDialog({
      title: trans.__('Shut down %1?', what ?? blocker.id),
      body:
        blocker.kind === 'kernel'
          ? trans.__('The kernel and its variables go; the notebook file stays.')
          : trans.__('The terminal and whatever runs in it end.'),
      buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: trans.__('Shut down') })]
    });
    if (!answer.button.accept) {
      return;
    }
    try {
      apply((await shutdownBlocker(blocker.kind, blocker.id)).idle);
    } catch (err) {
      Notification.error(err instanceof ApiError ? err.message : String(err));
    }
  };

  const onSetTimeout = async (minutes: number) => {
    try {
      apply(await setSpaceIdleTimeout(minutes));
      Notification.success(trans.__('This space now stops after %1 idle minutes.', minutes), {
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
      <Blockers blockers={idle.blockers} trans={trans} onShutDown={b => void onShutDown(b)} />
      <TimeoutForm policy={idle.policy} trans={trans} onSet={m => void onSetTimeout(m)} />
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
