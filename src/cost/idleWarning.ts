import { Notification } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { IDisposable } from '@lumino/disposable';

import { CostModel } from './model';

/**
 * Warns before studio-collab's own idle shutdown stops this app (row C4), with a "Keep alive" action,
 * whether or not the panel is open. It asks the server once; when the own shutdown is off (the default)
 * it stops there, so it costs one request per page load.
 */
export function watchOwnIdleShutdown(trans: TranslationBundle, model: CostModel): IDisposable {
  let shown: string | null = null;
  const dismiss = () => {
    if (shown) {
      Notification.dismiss(shown);
      shown = null;
    }
  };
  // GET idle is the cost model's one poll: this asks for it every 30 s, whether or not the panel is shown.
  const need = model.idle.need({ seconds: () => 30, whilePanelVisible: false });
  const onIdle = () => {
    const idle = model.idle.value;
    if (!idle) {
      return;
    }
    if (!idle.own_shutdown?.acts) {
      dismiss();
      if (!idle.own_shutdown?.enabled) {
        stop(); // off on this server: nothing to watch
      }
      return;
    }
    if (!idle.own_shutdown.warning) {
      dismiss();
      return;
    }
    if (!shown) {
      shown = Notification.warning(trans.__('This app has been idle for a while; Studio Collab will stop it soon.'), {
        autoClose: false,
        actions: [
          {
            label: trans.__('Keep alive'),
            displayType: 'accent',
            callback: () => {
              shown = null;
              const kept = trans.__('Kept alive: the idle countdown starts again.');
              model.keepAlive().then(
                () => Notification.success(kept, { autoClose: 3000 }),
                err => Notification.error(String(err))
              );
            }
          }
        ]
      });
    }
  };
  const stop = () => {
    need.dispose();
    model.idle.changed.disconnect(onIdle);
  };
  model.idle.changed.connect(onIdle);
  return { isDisposed: false, dispose: stop };
}
