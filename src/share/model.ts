import { PanelModel } from '../panel/model';
import { SharedPoll } from '../polling';
import { IShare, listShares, revokeShare, sharesChanged } from './api';

/**
 * The share feature's state: my shares (one poll of GET shares, asked again at once when this page makes or
 * revokes a share, e.g. from the notebook toolbar's Share dialog) and the revoke action.
 */
export class ShareModel {
  constructor(panel: PanelModel) {
    this.shares = panel.poll('shares', listShares);
    sharesChanged.changed.connect(() => void this.shares.refresh());
  }

  /** GET shares: the viewer's shares, newest first. */
  readonly shares: SharedPoll<IShare[]>;

  async revoke(id: string): Promise<void> {
    await revokeShare(id); // emits sharesChanged, which refreshes the list
  }
}
