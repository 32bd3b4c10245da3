import { Notification } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';

import { cancelJob, followJob, IJob } from '../api';

/**
 * Follows a clone or sync job in a JupyterLab notification (row U3): a progress toast with a Cancel
 * action that turns into success, or into the error with its code and next step.
 */
export async function followInNotification<R>(
  job: IJob<R>,
  title: string,
  trans: TranslationBundle,
  options: { success: (job: IJob<R>) => string; onUpdate?: (job: IJob<R>) => void }
): Promise<IJob<R>> {
  const cancel = {
    label: trans.__('Cancel'),
    caption: trans.__('Stop this job; nothing half-done is left behind'),
    callback: () => void cancelJob(job.id).catch(() => undefined)
  };
  const id = Notification.emit(`${title}: ${job.message || trans.__('starting…')}`, 'in-progress', {
    progress: job.progress,
    autoClose: false,
    actions: [cancel]
  });
  const final = await followJob<R>(job.id, update => {
    options.onUpdate?.(update);
    if (update.state === 'queued' || update.state === 'running') {
      Notification.update({
        id,
        message: `${title}: ${update.message}`,
        type: 'in-progress',
        progress: update.progress,
        autoClose: false,
        actions: [cancel]
      });
    }
  });
  if (final.state === 'succeeded') {
    Notification.update({ id, message: options.success(final), type: 'success', autoClose: 6000, actions: [] });
  } else if (final.state === 'cancelled') {
    const message = trans.__('%1: cancelled.', title);
    Notification.update({ id, message, type: 'warning', autoClose: 6000, actions: [] });
  } else {
    const error = final.error ?? { code: 'job_failed', message: final.message };
    Notification.update({
      id,
      message: `${title}: [${error.code}] ${error.message}`,
      type: 'error',
      autoClose: false,
      actions: []
    });
  }
  return final;
}
