import { Poll } from '@lumino/polling';

/**
 * A polite poll (row U4): backs off on errors, pauses while the page is hidden,
 * and can be refreshed at once after the user acts.
 */
export function politePoll(
  name: string,
  intervalSeconds: number,
  factory: () => Promise<void>
): Poll {
  const interval = Math.max(1, intervalSeconds) * 1000;
  return new Poll({
    name: `studio-collab:${name}`,
    factory,
    frequency: { interval, backoff: true, max: interval * 12 },
    standby: 'when-hidden'
  });
}
