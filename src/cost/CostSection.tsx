import * as React from 'react';

import { Unavailable } from '../panel/Section';
import { ISectionProps } from '../panel/context';

/** The Cost section: until the feature is built it says so, and shows no data. */
export function CostSection(props: ISectionProps): JSX.Element {
  const feature = props.status.features.cost;
  return (
    <Unavailable
      reason={feature.available ? null : feature.reason}
      fallback={props.trans.__('Cost is not available yet.')}
    />
  );
}
