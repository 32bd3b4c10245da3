import * as React from 'react';

import { Unavailable } from '../panel/Section';
import { ISectionProps } from '../panel/context';

/** The Experiments section: until the feature is built it says so, and shows no data. */
export function ExperimentsSection(props: ISectionProps): JSX.Element {
  const feature = props.status.features.experiments;
  return (
    <Unavailable
      reason={feature.available ? null : feature.reason}
      fallback={props.trans.__('Experiments is not available yet.')}
    />
  );
}
