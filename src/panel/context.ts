import { JupyterFrontEnd } from '@jupyterlab/application';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { TranslationBundle } from '@jupyterlab/translation';

import { IStatus } from '../api';

/** What every feature section receives from the panel. */
export interface ISectionProps {
  app: JupyterFrontEnd;
  status: IStatus;
  trans: TranslationBundle;
  /** Seconds between polls, from the settings registry. */
  pollIntervalSeconds: number;
  /** JupyterLab's renderers (e.g. Vega-Lite for charts); null when the app has none. */
  rendermime?: IRenderMimeRegistry | null;
}
