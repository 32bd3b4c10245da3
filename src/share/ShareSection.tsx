import * as React from 'react';
import { Clipboard, Dialog, Notification, showDialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { closeIcon, copyIcon, LabIcon } from '@jupyterlab/ui-components';

import { ApiError } from '../request';
import { ErrorLine, Unavailable } from '../panel/Section';
import { ISectionProps } from '../panel/context';
import { usePoll } from '../panel/usePoll';
import { IShare, ShareState } from './api';
import { ShareModel } from './model';
import { ShareCommandIDs } from './plugin';

function stateLabel(state: ShareState, trans: TranslationBundle): string {
  return { active: trans.__('active'), expired: trans.__('expired'), revoked: trans.__('revoked') }[state];
}

function ShareRow(props: {
  share: IShare;
  trans: TranslationBundle;
  busy: boolean;
  onRevoke: (share: IShare) => void;
}): JSX.Element {
  const { share, trans } = props;
  const copy = () => {
    Clipboard.copyToSystem(share.url);
    Notification.success(trans.__('Link to %1 copied to the clipboard.', share.title), { autoClose: 4000 });
  };
  const meta = [
    share.target_space ? trans.__('for %1', share.target_space) : trans.__('for this server'),
    share.state === 'active'
      ? trans.__('expires %1', new Date(share.expires).toLocaleDateString())
      : trans.__('shared %1', new Date(share.created).toLocaleDateString()),
    share.include_outputs ? trans.__('with outputs') : trans.__('without outputs')
  ].join(' · ');
  const details = trans.__(
    '%1 — shared %2, expires %3',
    share.source_path,
    new Date(share.created).toLocaleString(),
    new Date(share.expires).toLocaleString()
  );
  return (
    <li className="jp-StudioCollab-share" data-share-id={share.id} title={details}>
      <div className="jp-StudioCollab-shareTitle">
        <span className="jp-StudioCollab-shareName">{share.title}</span>
        {share.state !== 'active' && (
          <span className={`jp-StudioCollab-badge jp-StudioCollab-shareState jp-mod-${share.state}`}>
            {stateLabel(share.state, trans)}
          </span>
        )}
        {share.state === 'active' && (
          <span className="jp-StudioCollab-rowActions">
            <IconButton icon={copyIcon} label={trans.__('Copy link')} onClick={copy} />
            <IconButton
              icon={closeIcon}
              label={trans.__('Revoke')}
              disabled={props.busy}
              onClick={() => props.onRevoke(share)}
            />
          </span>
        )}
      </div>
      <div className="jp-StudioCollab-shareMeta">{meta}</div>
    </li>
  );
}

/** A small icon button with its name as tooltip and accessible name, like the file browser's row actions. */
export function IconButton(props: {
  icon: LabIcon;
  label: string;
  onClick: () => void;
  disabled?: boolean;
}): JSX.Element {
  return (
    <button
      className="jp-Button jp-mod-minimal jp-StudioCollab-iconButton"
      title={props.label}
      aria-label={props.label}
      disabled={props.disabled}
      onClick={props.onClick}
    >
      <props.icon.react tag="span" elementSize="small" />
    </button>
  );
}

/** The Share section (S3, U2): share the open notebook; my shares with copy and revoke. */
export function ShareSection(props: ISectionProps & { model: ShareModel }): JSX.Element {
  const { trans, app, model } = props;
  const feature = props.status.features.share ?? { available: false, reason: null };
  const { value: shares, error } = usePoll(
    model.shares,
    feature.available ? { seconds: c => c.pollIntervalSeconds * 3, whilePanelVisible: true } : null
  );
  const [revoking, setRevoking] = React.useState<string | null>(null);
  const [showEnded, setShowEnded] = React.useState(false);
  const [canShare, setCanShare] = React.useState(app.commands.isEnabled(ShareCommandIDs.shareNotebook));

  React.useEffect(() => {
    const onChange = () => setCanShare(app.commands.isEnabled(ShareCommandIDs.shareNotebook));
    app.commands.commandChanged.connect(onChange);
    return () => {
      app.commands.commandChanged.disconnect(onChange);
    };
  }, [app]);

  const onRevoke = async (share: IShare) => {
    const answer = await showDialog({
      title: trans.__('Revoke the share of %1?', share.title),
      body: trans.__('The link stops working at once and the snapshot leaves the store. Copies already imported stay.'),
      buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: trans.__('Revoke') })]
    });
    if (!answer.button.accept) {
      return;
    }
    setRevoking(share.id);
    try {
      await model.revoke(share.id);
      Notification.success(trans.__('The share of %1 is revoked.', share.title), { autoClose: 4000 });
    } catch (err) {
      const message = err instanceof ApiError ? err.message : String(err);
      Notification.error(trans.__('Could not revoke %1: %2', share.title, message), { autoClose: false });
    } finally {
      setRevoking(null);
    }
  };

  if (!feature.available) {
    return <Unavailable reason={feature.reason} fallback={trans.__('Sharing is not available here.')} />;
  }
  // Revoked and expired shares stay on record but out of the way, behind a filter.
  const ended = (shares ?? []).filter(share => share.state !== 'active');
  const shown = (shares ?? []).filter(share => showEnded || share.state === 'active');
  return (
    <div className="jp-StudioCollab-shares">
      <button
        className="jp-Button jp-mod-styled jp-mod-accept"
        disabled={!canShare}
        title={canShare ? '' : trans.__('Open a notebook to share it.')}
        onClick={() => void app.commands.execute(ShareCommandIDs.shareNotebook)}
      >
        {trans.__('Share the open notebook…')}
      </button>
      <h4 className="jp-StudioCollab-subTitle">{trans.__('My shares')}</h4>
      {error && <ErrorLine code={error.code} message={error.message} />}
      {shares === null && !error && <p>{trans.__('Loading…')}</p>}
      {shares !== null && shares.length === 0 && (
        <p className="jp-StudioCollab-unavailable">{trans.__('You have not shared anything yet.')}</p>
      )}
      {shares !== null && ended.length > 0 && (
        <label className="jp-StudioCollab-shareFilter">
          <input type="checkbox" checked={showEnded} onChange={event => setShowEnded(event.target.checked)} />
          {trans._n('Show %1 revoked or expired share', 'Show %1 revoked or expired shares', ended.length)}
        </label>
      )}
      {shares !== null && shown.length > 0 && (
        <ul className="jp-StudioCollab-shareList">
          {shown.map(share => (
            <ShareRow
              key={share.id}
              share={share}
              trans={trans}
              busy={revoking === share.id}
              onRevoke={s => void onRevoke(s)}
            />
          ))}
        </ul>
      )}
    </div>
  );
}
