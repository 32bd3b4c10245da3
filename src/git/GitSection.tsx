import * as React from 'react';

import { Unavailable } from '../panel/Section';
import { ISectionProps } from '../panel/context';

/** The Repositories section: until the feature is built it says so, and shows no data. */
export function GitSection(props: ISectionProps): JSX.Element {
  const feature = props.status.features.git;
  return (
    <Unavailable
      reason={feature.available ? null : feature.reason}
      fallback={props.trans.__('Repositories is not available yet.')}
    />
  );
}
