// Sends events through each official Node SDK to the gateway at
// GATEWAY_URL with write key WRITE_KEY, then flushes and exits. The first
// argument picks the events: "identify" sends an identify, "rest" a track
// and a group, so a caller can wait for the contacts before the group
// attaches them. Exit status 1 means an SDK reported a delivery error.
import RudderAnalytics from '@rudderstack/rudder-sdk-node';
import { Analytics as SegmentAnalytics } from '@segment/analytics-node';

const phase = process.argv[2];
const url = process.env.GATEWAY_URL;
const writeKey = process.env.WRITE_KEY;
if (!url || !writeKey || (phase !== 'identify' && phase !== 'rest')) {
  console.error('usage: GATEWAY_URL=... WRITE_KEY=... node send.mjs identify|rest');
  process.exit(2);
}

let failed = false;

const rudder = new RudderAnalytics(writeKey, {
  dataPlaneUrl: url,
  flushAt: 3,
  flushInterval: 200,
  retryCount: 0,
  logLevel: 'error',
  errorHandler: (err) => {
    failed = true;
    console.error('rudderstack:', err.message);
  },
});
if (phase === 'identify') {
  rudder.identify({
    userId: 'rudder-user',
    traits: { email: 'rudder@example.com', name: 'Rudder User', plan: 'pro' },
  });
} else {
  rudder.track({ userId: 'rudder-user', event: 'Rudder Event', properties: { source: 'rudderstack' } });
  rudder.group({ userId: 'rudder-user', groupId: 'rudder-co', traits: { name: 'Rudder Co', size: 3 } });
}
await rudder.flush();

const segment = new SegmentAnalytics({ writeKey, host: url, flushAt: 3, maxRetries: 0 });
segment.on('error', (err) => {
  failed = true;
  console.error('segment:', err.code ?? '', err.reason?.message ?? err.message ?? err);
});
if (phase === 'identify') {
  segment.identify({ userId: 'segment-user', traits: { email: 'segment@example.com', name: 'Segment User', plan: 'free' } });
} else {
  segment.track({ userId: 'segment-user', event: 'Segment Event', properties: { source: 'segment' } });
  segment.group({ userId: 'segment-user', groupId: 'segment-co', traits: { name: 'Segment Co', size: 5 } });
}
await segment.closeAndFlush({ timeout: 10000 });

process.exit(failed ? 1 : 0);
