import * as React from 'react';
import { JupyterFrontEnd } from '@jupyterlab/application';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ReactWidget } from '@jupyterlab/ui-components';
import { TranslationBundle } from '@jupyterlab/translation';
import { ISignal, Signal } from '@lumino/signaling';

import { getStatus, IStatus } from '../api';
import { politePoll } from '../polling';
import { ApiError } from '../request';
import { CostSection } from '../cost/CostSection';
import { DomainCard } from '../cost/DomainCard';
import { ExperimentsSection } from '../experiments/ExperimentsSection';
import { GitSection } from '../git/GitSection';
import { ShareSection } from '../share/ShareSection';
import { Header } from './Header';
import { Section } from './Section';

function PanelView(props: {
  app: JupyterFrontEnd;
  trans: TranslationBundle;
  pollIntervalSeconds: number;
  rendermime: IRenderMimeRegistry | null;
}): JSX.Element {
  const { trans } = props;
  const [status, setStatus] = React.useState<IStatus | null>(null);
  const [error, setError] = React.useState<string | null>(null);

  React.useEffect(() => {
    const poll = politePoll('status', props.pollIntervalSeconds * 6, async () => {
      try {
        setStatus(await getStatus());
        setError(null);
      } catch (err) {
        setError(err instanceof ApiError ? `${err.code}: ${err.message}` : String(err));
        throw err; // lets the poll back off
      }
    });
    return () => poll.dispose();
  }, [props.pollIntervalSeconds]);

  const sectionProps = status && {
    app: props.app,
    status,
    trans,
    pollIntervalSeconds: props.pollIntervalSeconds,
    rendermime: props.rendermime
  };
  return (
    <div className="jp-StudioCollab-panelBody">
      <Header status={status} error={error} trans={trans}>
        {status && <DomainCard status={status} trans={trans} />}
      </Header>
      {sectionProps && (
        <>
          <Section id="git" title={trans.__('Repositories')}>
            <GitSection {...sectionProps} />
          </Section>
          <Section id="share" title={trans.__('Share')}>
            <ShareSection {...sectionProps} />
          </Section>
          <Section id="experiments" title={trans.__('Experiments')}>
            <ExperimentsSection {...sectionProps} />
          </Section>
          <Section id="cost" title={trans.__('Cost')}>
            <CostSection {...sectionProps} />
          </Section>
        </>
      )}
    </div>
  );
}

/** The left-sidebar panel: a header with the Studio context and one section per feature. */
export class StudioCollabPanel extends ReactWidget {
  constructor(
    private readonly _app: JupyterFrontEnd,
    private readonly _trans: TranslationBundle,
    private readonly _rendermime: IRenderMimeRegistry | null = null
  ) {
    super();
    this.addClass('jp-StudioCollab-panel');
  }

  get pollIntervalSeconds(): number {
    return this._pollIntervalSeconds;
  }

  set pollIntervalSeconds(value: number) {
    this._pollIntervalSeconds = value;
    this._changed.emit();
    this.update();
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  render(): JSX.Element {
    return (
      <PanelView
        app={this._app}
        trans={this._trans}
        pollIntervalSeconds={this._pollIntervalSeconds}
        rendermime={this._rendermime}
      />
    );
  }

  private _pollIntervalSeconds = 10;
  private _changed = new Signal<this, void>(this);
}
