import { TranslationBundle } from '@jupyterlab/translation';

import { ICostResource } from './api';
import { kindLabel, money } from './format';

/** Apps by what a user knows them as ("JupyterLab", "Code Editor"), not by Studio's type ids. */
const APP_NAMES: Record<string, string> = {
  JupyterLab: 'JupyterLab',
  JupyterServer: 'JupyterLab',
  CodeEditor: 'Code Editor',
  KernelGateway: 'kernel gateway',
  RStudioServerPro: 'RStudio',
  RSessionGateway: 'RStudio session',
  Canvas: 'Canvas',
  MlFlow: 'MLflow'
};

/**
 * What a Stop acts on, in words a person uses: "JupyterLab in team-space", "endpoint churn-model". The Stop
 * button's accessible name and its confirmation both read it, so neither shows Studio's id triple.
 */
export function stopTarget(resource: ICostResource, trans: TranslationBundle): string {
  if (resource.kind !== 'app') {
    return trans.__('%1 %2', kindLabel(resource.kind, trans), resource.name);
  }
  const what = APP_NAMES[resource.app_type ?? ''] ?? resource.app_type ?? kindLabel(resource.kind, trans);
  return resource.space ? trans.__('%1 in %2', what, resource.space) : what;
}

/**
 * The Stop confirmation in words a person uses: what stops, where, what it costs, and what is lost, e.g.
 * "Stop JupyterLab in team-space — $0.23/h?". On the app the user is sitting in, a stronger warning.
 */
export function stopConfirmation(
  resource: ICostResource,
  currency: string,
  trans: TranslationBundle
): { title: string; body: string; label: string } {
  const target = stopTarget(resource, trans);
  const price = resource.hourly_price === null ? null : trans.__('%1/h', money(resource.hourly_price, currency));
  const title = price ? trans.__('Stop %1 — %2?', target, price) : trans.__('Stop %1?', target);
  if (resource.this_app) {
    return {
      title,
      body: trans.__(
        'This is the app you are using now: this JupyterLab closes at once and unsaved work in it is lost. Save your notebooks first.'
      ),
      label: trans.__('Stop this app')
    };
  }
  const body =
    resource.kind === 'app'
      ? trans.__(
          'Unsaved work in that space is lost. The space and its storage stay; the app starts again when someone opens it.'
        )
      : trans.__('It stops billing for compute; its storage stays and it can be started again.');
  return { title, body, label: trans.__('Stop') };
}
