import * as React from 'react';
import { JupyterFrontEnd } from '@jupyterlab/application';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { IStateDB } from '@jupyterlab/statedb';
import { ITranslator, TranslationBundle } from '@jupyterlab/translation';
import {
  launchIcon,
  LabIcon,
  PanelWithToolbar,
  ReactWidget,
  refreshIcon,
  SidePanel,
  ToolbarButton
} from '@jupyterlab/ui-components';
import { ReadonlyJSONObject } from '@lumino/coreutils';
import { Message } from '@lumino/messaging';
import { AccordionPanel, Widget } from '@lumino/widgets';

import { CostSection } from '../cost/CostSection';
import { CostModel } from '../cost/model';
import { DomainCard } from '../cost/DomainCard';
import { ExperimentsSummary } from '../experiments/ExperimentsSummary';
import { GitSection } from '../git/GitSection';
import { GitModel } from '../git/model';
import { ShareModel } from '../share/model';
import { ShareSection } from '../share/ShareSection';
import { ISectionProps } from './context';
import { Header } from './Header';
import { PanelModel } from './model';
import { ModelBody } from './Section';

/** The key under which the panel keeps which sections are collapsed (JupyterLab's state DB, per workspace). */
const STATE_KEY = 'studio-collab:panel';

/** One action in a section's title bar: an icon button with a tooltip, as in the Running and Debugger panels. */
export interface ISectionAction {
  id: string;
  icon: LabIcon;
  tooltip: string;
  onClick: () => void;
}

export interface ISectionSpec {
  id: string;
  label: string;
  render: (props: ISectionProps) => JSX.Element;
  actions?: ISectionAction[];
}

/**
 * One accordion section: the title (small uppercase, from JupyterLab's AccordionPanel) carries the section's
 * icon buttons; the body renders once the status is known and is re-made on every Refresh.
 */
class SectionWidget extends PanelWithToolbar {
  constructor(
    readonly spec: ISectionSpec,
    model: PanelModel,
    app: JupyterFrontEnd,
    trans: TranslationBundle,
    rendermime: IRenderMimeRegistry | null
  ) {
    super();
    this.id = `jp-StudioCollab-section-${spec.id}`;
    this.title.label = spec.label;
    this.title.caption = spec.label;
    this.addClass('jp-StudioCollab-sectionPanel');
    this.node.dataset.sectionPanel = spec.id;
    for (const action of spec.actions ?? []) {
      this.toolbar.addItem(
        action.id,
        new ToolbarButton({ icon: action.icon, tooltip: action.tooltip, onClick: action.onClick })
      );
    }
    const body = ReactWidget.create(
      <ModelBody model={model} trans={trans} className="jp-StudioCollab-sectionBody" section={spec.id}>
        {status => spec.render({ app, status, trans, pollIntervalSeconds: model.pollIntervalSeconds, rendermime })}
      </ModelBody>
    );
    body.addClass('jp-StudioCollab-sectionScroll');
    this.addWidget(body);
  }
}

/**
 * The left-sidebar panel, built like JupyterLab's Running and Debugger panels: a SidePanel with a title,
 * a toolbar (Refresh) and collapsible sections whose open state survives a reload (state DB).
 */
export class StudioCollabPanel extends SidePanel {
  constructor(options: {
    app: JupyterFrontEnd;
    trans: TranslationBundle;
    translator: ITranslator;
    model: PanelModel;
    costModel: CostModel;
    gitModel: GitModel;
    shareModel: ShareModel;
    rendermime: IRenderMimeRegistry | null;
    stateDB: IStateDB | null;
    openExperiments: () => void;
  }) {
    super({ translator: options.translator });
    const { app, trans, model, rendermime } = options;
    this._model = model;
    this._stateDB = options.stateDB;
    this.addClass('jp-StudioCollab-panel');

    const heading = document.createElement('h2');
    heading.textContent = trans.__('Studio Collab');
    heading.className = 'jp-StudioCollab-title';
    this.header.addWidget(new Widget({ node: heading }));

    this.toolbar.addItem(
      'refresh',
      new ToolbarButton({
        icon: refreshIcon,
        tooltip: trans.__('Refresh every section'),
        onClick: () => void model.refresh()
      })
    );

    const sections: ISectionSpec[] = [
      {
        id: 'context',
        label: trans.__('This space'),
        render: props => (
          <Header status={props.status} error={null} trans={trans}>
            <DomainCard status={props.status} trans={trans} />
          </Header>
        )
      },
      {
        id: 'git',
        label: trans.__('Repositories'),
        render: props => <GitSection {...props} model={options.gitModel} />
      },
      {
        id: 'share',
        label: trans.__('Shares'),
        render: props => <ShareSection {...props} model={options.shareModel} />
      },
      {
        id: 'experiments-summary',
        label: trans.__('Experiments'),
        render: props => <ExperimentsSummary {...props} onOpen={options.openExperiments} />,
        actions: [
          {
            id: 'open-experiments',
            icon: launchIcon,
            tooltip: trans.__('Open Experiments in the main area'),
            onClick: options.openExperiments
          }
        ]
      },
      {
        id: 'cost',
        label: trans.__('Cost'),
        render: props => <CostSection {...props} model={options.costModel} />
      }
    ];
    for (const spec of sections) {
      this.addWidget(new SectionWidget(spec, model, app, trans, rendermime));
    }
    this._accordion.expansionToggled.connect(() => void this._saveState());
    model.start();
  }

  get model(): PanelModel {
    return this._model;
  }

  /** Opens one section (expanding it if it was collapsed) and scrolls it into view; e.g. from the status bar. */
  openSection(id: string): void {
    const index = this._sectionIds().indexOf(id);
    if (index < 0) {
      return;
    }
    const title = this._accordion.titles[index];
    if (!title.classList.contains('lm-mod-expanded')) {
      this._accordion.expand(index);
    }
    title.scrollIntoView({ block: 'nearest' });
    title.focus();
  }

  /** Collapses the sections that were collapsed when the workspace was last saved. */
  async restoreState(): Promise<void> {
    if (!this._stateDB) {
      return;
    }
    const saved = (await this._stateDB.fetch(STATE_KEY)) as ReadonlyJSONObject | undefined;
    let collapsed = (saved?.collapsed as string[] | undefined) ?? [];
    // A saved state with every section collapsed is what JupyterLab 4.5 records when the accordion toggles
    // before the panel is first shown; restoring it would open an empty-looking panel, so all open instead.
    if (this._sectionIds().every(id => collapsed.includes(id))) {
      collapsed = [];
    }
    this._restoring = true;
    this._sectionIds().forEach((id, index) => {
      const isExpanded = this._accordion.titles[index].classList.contains('lm-mod-expanded');
      if (collapsed.includes(id) && isExpanded) {
        this._accordion.collapse(index);
      } else if (!collapsed.includes(id) && !isExpanded) {
        this._accordion.expand(index);
      }
    });
    this._restoring = false;
  }

  dispose(): void {
    this._model.dispose();
    super.dispose();
  }

  // The panel's polls run only while the sidebar shows it (the setting: "while it is visible").
  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this._model.visible = this.isVisible;
  }

  protected onAfterHide(msg: Message): void {
    super.onAfterHide(msg);
    this._model.visible = false;
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    this._model.visible = this.isVisible;
  }

  protected onBeforeDetach(msg: Message): void {
    this._model.visible = false;
    super.onBeforeDetach(msg);
  }

  private get _accordion(): AccordionPanel {
    return this.content as AccordionPanel;
  }

  private _sectionIds(): string[] {
    return this.widgets.map(w => (w as SectionWidget).spec.id);
  }

  private async _saveState(): Promise<void> {
    if (!this._stateDB || this._restoring) {
      return;
    }
    const collapsed = this._sectionIds().filter(
      (_, index) => !this._accordion.titles[index].classList.contains('lm-mod-expanded')
    );
    await this._stateDB.save(STATE_KEY, { collapsed });
  }

  private _model: PanelModel;
  private _stateDB: IStateDB | null;
  private _restoring = false;
}
