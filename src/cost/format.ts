import { TranslationBundle } from '@jupyterlab/translation';

import { ResourceKind } from './api';

/** How the Cost section writes kinds, money and durations. */

/** A kind's name for people; `kind` is a ResourceKind, or any kind a newer server lists (shown as sent). */
export function kindLabel(kind: ResourceKind | string, trans: TranslationBundle): string {
  switch (kind) {
    case 'app':
      return trans.__('Studio app');
    case 'notebook_instance':
      return trans.__('Notebook instance');
    case 'endpoint':
      return trans.__('Endpoint');
    case 'training_job':
      return trans.__('Training job');
    case 'processing_job':
      return trans.__('Processing job');
    case 'transform_job':
      return trans.__('Transform job');
    case 'mlflow_tracking_server':
      return trans.__('MLflow tracking server');
    case 'space_storage':
      return trans.__('Stopped space storage');
    case 'warm_pool':
      return trans.__('Training warm pool');
    case 'inference_component':
      return trans.__('Inference component');
    case 'scheduled_notebook_job':
      return trans.__('Scheduled notebook job');
    case 'mlflow_app':
      return trans.__('MLflow App');
    default:
      return kind;
  }
}

export function money(value: number | null, currency: string, digits = 2): string {
  if (value === null) {
    return '—';
  }
  return new Intl.NumberFormat(undefined, {
    style: 'currency',
    currency,
    minimumFractionDigits: digits,
    maximumFractionDigits: digits
  }).format(value);
}

/** "3 d", "5 h", "28 min": a duration in its largest whole unit, short enough for a sidebar table. */
export function duration(ms: number, trans: TranslationBundle): string {
  const minutes = Math.max(0, Math.floor(ms / 60000));
  if (minutes >= 2880) {
    return trans.__('%1 d', Math.floor(minutes / 1440));
  }
  if (minutes >= 120) {
    return trans.__('%1 h', Math.floor(minutes / 60));
  }
  return trans.__('%1 min', minutes);
}

/** "04:59" (or "1:04:59"): a countdown to the second. */
export function countdown(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const mm = String(m).padStart(h > 0 ? 2 : 1, '0');
  const ss = String(s).padStart(2, '0');
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}
