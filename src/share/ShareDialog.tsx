import * as React from 'react';
import { Clipboard, Dialog, Notification, showDialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { copyIcon, HTMLSelect, ReactWidget } from '@jupyterlab/ui-components';

import { ApiError } from '../request';
import { ErrorLine } from '../panel/Section';
import { createShare, getSpaces, IShare, ISpace, ISpaces, shareTargets } from './api';

const EXPIRY_DAYS = [1, 7, 30, 90];

interface IChoice {
  target_space: string | null;
  include_outputs: boolean;
  expires_in_days: number;
}

function ShareForm(props: { trans: TranslationBundle; onChange: (choice: IChoice) => void }): JSX.Element {
  const { trans } = props;
  const [spaces, setSpaces] = React.useState<ISpaces | null>(null);
  const [error, setError] = React.useState<ApiError | null>(null);
  const [choice, setChoice] = React.useState<IChoice>({
    target_space: null,
    include_outputs: false,
    expires_in_days: 7
  });

  const update = (change: Partial<IChoice>) => setChoice(previous => ({ ...previous, ...change }));

  React.useEffect(() => {
    getSpaces()
      .then(answer => {
        setSpaces(answer);
        const first = shareTargets(answer.spaces)[0];
        if (first) {
          update({ target_space: first.name });
        }
      })
      .catch(err => setError(err instanceof ApiError ? err : new ApiError('error', String(err), 0)));
  }, []);

  React.useEffect(() => {
    props.onChange(choice);
  }, [choice]);

  const targets: ISpace[] = spaces ? shareTargets(spaces.spaces) : [];
  return (
    <div className="jp-StudioCollab-shareForm">
      {error && <ErrorLine code={error.code} message={error.message} />}
      {spaces === null && !error && <p>{trans.__('Loading the spaces of this domain…')}</p>}
      {spaces && !spaces.in_studio && (
        <p className="jp-StudioCollab-unavailable">
          {trans.__('Outside Studio there are no spaces: the link opens this JupyterLab.')}
        </p>
      )}
      {spaces && spaces.in_studio && targets.length === 0 && (
        <ErrorLine
          code="no_shared_space"
          message={trans.__('This domain has no shared JupyterLab space. Create one in Studio, then share.')}
        />
      )}
      {targets.length > 0 && (
        <label>
          {trans.__('Shared space')}
          <HTMLSelect
            value={choice.target_space ?? ''}
            onChange={event => update({ target_space: event.target.value })}
          >
            {targets.map(space => (
              <option key={space.name} value={space.name}>
                {space.display_name === space.name ? space.name : trans.__('%1 (%2)', space.display_name, space.name)}
              </option>
            ))}
          </HTMLSelect>
        </label>
      )}
      <label className="jp-StudioCollab-shareCheck">
        <input
          type="checkbox"
          checked={choice.include_outputs}
          onChange={event => update({ include_outputs: event.target.checked })}
        />
        {trans.__('Include outputs')}
      </label>
      <label>
        {trans.__('Link expires after')}
        <HTMLSelect
          value={choice.expires_in_days}
          onChange={event => update({ expires_in_days: Number(event.target.value) })}
        >
          {EXPIRY_DAYS.map(days => (
            <option key={days} value={days}>
              {trans._n('%1 day', '%1 days', days)}
            </option>
          ))}
        </HTMLSelect>
      </label>
    </div>
  );
}

/** The dialog body: a React form whose latest choice `showDialog` reads when the user confirms. */
class ShareFormWidget extends ReactWidget implements Dialog.IBodyWidget<IChoice> {
  constructor(private readonly _trans: TranslationBundle) {
    super();
    this.addClass('jp-StudioCollab-shareDialog');
  }

  getValue(): IChoice {
    return this._choice;
  }

  render(): JSX.Element {
    return (
      <ShareForm
        trans={this._trans}
        onChange={choice => {
          this._choice = choice;
        }}
      />
    );
  }

  private _choice: IChoice = { target_space: null, include_outputs: false, expires_in_days: 7 };
}

/** The created link, shown (not only copied): a read-only field, selected on focus, and a Copy button. */
export function ShareLink(props: { url: string; label: string; trans: TranslationBundle }): JSX.Element {
  const { trans } = props;
  const [copied, setCopied] = React.useState(false);
  return (
    <div className="jp-StudioCollab-shareLink">
      <label>
        {props.label}
        <span className="jp-StudioCollab-shareLinkRow">
          <input
            className="jp-mod-styled jp-StudioCollab-shareLinkField"
            readOnly
            value={props.url}
            onFocus={event => event.currentTarget.select()}
          />
          <button
            className="jp-Button jp-mod-styled jp-mod-accept jp-StudioCollab-copyLink"
            title={trans.__('Copy the link to the clipboard')}
            onClick={() => {
              Clipboard.copyToSystem(props.url);
              setCopied(true);
            }}
          >
            <copyIcon.react tag="span" className="jp-StudioCollab-buttonIcon" />
            {copied ? trans.__('Copied') : trans.__('Copy')}
          </button>
        </span>
      </label>
    </div>
  );
}

/** After sharing: the link in a field with Copy (the clipboard may be refused), and when it expires. */
function showShareResult(share: IShare, trans: TranslationBundle): void {
  const expires = new Date(share.expires).toLocaleString();
  const body = ReactWidget.create(
    <div className="jp-StudioCollab-shareResult">
      <p>
        {share.target_space
          ? trans.__('Anyone in %1 can open this link until %2.', share.target_space, expires)
          : trans.__('Anyone on this server can open this link until %1.', expires)}
      </p>
      <ShareLink url={share.url} label={trans.__('Link')} trans={trans} />
      {share.live_url && (
        <ShareLink url={share.live_url} label={trans.__('Live link (real-time collaboration)')} trans={trans} />
      )}
    </div>
  );
  void showDialog({
    title: trans.__('Shared %1', share.title),
    body,
    buttons: [Dialog.okButton({ label: trans.__('Done') })]
  });
}

/**
 * Asks where and how to share `path`, runs `beforeUpload` (e.g. saving the notebook), uploads it with
 * progress in a notification, and copies the link. Returns true when a share was made.
 */
export async function shareFile(
  path: string,
  trans: TranslationBundle,
  beforeUpload: () => Promise<void> = async () => undefined
): Promise<boolean> {
  const name = path.split('/').pop() ?? path;
  const answer = await showDialog({
    title: trans.__('Share %1', name),
    body: new ShareFormWidget(trans),
    buttons: [Dialog.cancelButton(), Dialog.okButton({ label: trans.__('Share') })]
  });
  if (!answer.button.accept || answer.value === null) {
    return false;
  }
  const id = Notification.emit(trans.__('Sharing %1…', name), 'in-progress', {
    autoClose: false,
    progress: 0
  });
  try {
    await beforeUpload();
    const share = await createShare({ path, ...answer.value }, job =>
      Notification.update({ id, message: job.message || trans.__('Sharing %1…', name), progress: job.progress })
    );
    Clipboard.copyToSystem(share.url);
    const expires = new Date(share.expires).toLocaleString();
    const liveUrl = share.live_url;
    Notification.update({
      id,
      type: 'success',
      message: share.target_space
        ? trans.__(
            'Link to %1 for %2 copied to the clipboard. It expires %3.',
            share.title,
            share.target_space,
            expires
          )
        : trans.__('Link to %1 copied to the clipboard. It expires %2.', share.title, expires),
      progress: 1,
      autoClose: 10000,
      actions: [
        { label: trans.__('Copy link again'), callback: () => Clipboard.copyToSystem(share.url) },
        ...(liveUrl ? [{ label: trans.__('Copy live link'), callback: () => Clipboard.copyToSystem(liveUrl) }] : [])
      ]
    });
    showShareResult(share, trans);
    return true;
  } catch (err) {
    const error = err instanceof ApiError ? err : new ApiError('error', String(err), 0);
    Notification.update({
      id,
      type: 'error',
      message: trans.__('Could not share %1: %2', name, error.message),
      autoClose: false
    });
    return false;
  }
}
