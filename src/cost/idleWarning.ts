import { Notification } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { Poll } from '@lumino/polling';

import { politePoll } from '../polling';
import { getIdle, keepAlive } from './api';

/**
 * Warns before studio-collab's own idle shutdown stops this app (row C4), with a "Keep alive" action,
 * whether or not the panel is open. It asks the server once; when the own shutdown is off (the default)
 * it stops there, so it costs one request per page load.
 */
export function watchOwnIdleShutdown(trans: TranslationBundle): Poll {
  let shown: string | null = null;
  const dismiss = () => {
    if (shown) {
      Notification.dismiss(shown);
      shown = null;
    }
  };
  const poll = politePoll('idle-warning', 30, async () => {
    const idle = await getIdle();
    if (!idle.own_shutdown.acts) {
      dismiss();
      if (!idle.own_shutdown.enabled) {
        poll.dispose(); // off on this server: nothing to watch
      }
      return;
    }
    if (!idle.own_shutdown.warning) {
      dismiss();
      return;
    }
    if (!shown) {
      shown = Notification.warning(
        trans.__('This app has been idle for a while; Studio Collab will stop it soon.'),
        {
          autoClose: false,
          actions: [
            {
              label: trans.__('Keep alive'),
              displayType: 'accent',
              callback: () => {
                shown = null;
                const kept = trans.__('Kept alive: the idle countdown starts again.');
                keepAlive().then(
                  () => Notification.success(kept, { autoClose: 3000 }),
                  err => Notification.error(String(err))
                );
              }
            }
          ]
        }
      );
    }
  });
  return poll;
}
