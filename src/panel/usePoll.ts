import * as React from 'react';

import { INeed, SharedPoll } from '../polling';
import { ApiError } from '../request';

/**
 * A view's use of a shared poll: declares its need while mounted (null: no need, e.g. the feature is off)
 * and re-renders when the value changes. Returns the latest value and error.
 */
export function usePoll<T>(poll: SharedPoll<T>, need: INeed | null): { value: T | null; error: ApiError | null } {
  const [, setVersion] = React.useState(0);
  React.useEffect(() => {
    const onChange = () => setVersion(v => v + 1);
    poll.changed.connect(onChange);
    const declared = need ? poll.need(need) : null;
    return () => {
      poll.changed.disconnect(onChange);
      declared?.dispose();
    };
  }, [poll, need !== null, need?.whilePanelVisible]);
  return { value: poll.value, error: poll.error };
}
