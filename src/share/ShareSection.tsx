import * as React from 'react';

import { Unavailable } from '../panel/Section';
import { ISectionProps } from '../panel/context';

/** The Share section: until the feature is built it says so, and shows no data. */
export function ShareSection(props: ISectionProps): JSX.Element {
  const feature = props.status.features.share;
  return (
    <Unavailable
      reason={feature.available ? null : feature.reason}
      fallback={props.trans.__('Share is not available yet.')}
    />
  );
}
