import * as React from 'react';
import { Dialog, Notification, showDialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';

import { ApiError } from '../request';
import { ErrorLine } from '../panel/Section';
import { usePoll } from '../panel/usePoll';
import { IIdleBlocker, IIdlePolicy } from './api';
import { countdown, duration } from './format';
import { CostModel } from './model';

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
export function IdleCard(props: { trans: TranslationBundle; model: CostModel }): JSX.Element {
  const { trans, model } = props;
  const { value: idle, error } = usePoll(model.idle, {
    seconds: c => c.pollIntervalSeconds,
    whilePanelVisible: true
  });
  const [now, setNow] = React.useState(Date.now());
  // server clock minus browser clock, from the answer's own time
  const skew = idle?.server_time ? Date.parse(idle.server_time) - (model.idle.receivedAt ?? Date.now()) : 0;

  const onKeepAlive = async () => {
    try {
      await model.keepAlive();
      Notification.success(trans.__('Kept alive: the idle countdown starts again.'), {
        autoClose: 3000
      });
    } catch (err) {
      Notification.error(err instanceof ApiError ? err.message : String(err));
    }
  };

  const onShutDown = async (blocker: IIdleBlocker) => {
    const what = blocker.kind === 'kernel' ? (blocker.path ?? blocker.name ?? blocker.id) : blocker.name;
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
      await model.shutDownBlocker(blocker.kind, blocker.id);
    } catch (err) {
      Notification.error(err instanceof ApiError ? err.message : String(err));
    }
  };

  const onSetTimeout = async (minutes: number) => {
    try {
      await model.setIdleTimeout(minutes);
      Notification.success(trans.__('This space now stops after %1 idle minutes.', minutes), {
        autoClose: 3000
      });
    } catch (err) {
      Notification.error(err instanceof ApiError ? err.message : String(err));
    }
  };

  React.useEffect(() => {
    const tick = window.setInterval(() => setNow(Date.now()), 1000);
    return () => window.clearInterval(tick);
  }, []);

  const warning = idle?.own_shutdown?.warning ?? false;
  const ownShutdown = idle?.own_shutdown;

  if (error && !idle) {
    return <ErrorLine code={error.code} message={error.message} />;
  }
  if (!idle) {
    return <p>{trans.__('Loading…')}</p>;
  }
  const serverNow = now + skew;
  const last = idle.last_activity ? Date.parse(idle.last_activity) : null;
  const shutdownAt = idle.shutdown_at ? Date.parse(idle.shutdown_at) : null;
  const busy = idle.kernels.filter(k => k.execution_state === 'busy').length;
  return (
    <div className="jp-StudioCollab-idleCard" data-warning={warning}>
      <p>
        {idle.busy
          ? trans._n('Busy: %1 kernel running code.', 'Busy: %1 kernels running code.', busy)
          : last !== null
            ? trans.__('Idle for %1.', duration(serverNow - last, trans))
            : trans.__('No activity recorded yet.')}{' '}
        {trans.__(
          '%1, %2.',
          trans._n('%1 kernel', '%1 kernels', idle.kernels.length),
          trans._n('%1 terminal', '%1 terminals', idle.terminals.length)
        )}
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
      <Blockers blockers={idle.blockers ?? []} trans={trans} onShutDown={b => void onShutDown(b)} />
      <TimeoutForm policy={idle.policy} trans={trans} onSet={m => void onSetTimeout(m)} />
      {ownShutdown?.error && <ErrorLine code="idle_shutdown_failed" message={ownShutdown.error} />}
      {(idle.notes ?? []).map(note => (
        <p key={note} className="jp-StudioCollab-unavailable">
          {note}
        </p>
      ))}
      {shutdownAt !== null && !ownShutdown?.enabled && (
        <p className="jp-StudioCollab-unavailable">
          {trans.__('Running a cell or typing in a terminal counts as activity; an open notebook alone does not.')}
        </p>
      )}
      {ownShutdown?.enabled && (
        <button className="jp-mod-styled jp-mod-accept" onClick={() => void onKeepAlive()}>
          {trans.__('Keep alive')}
        </button>
      )}
    </div>
  );
}
