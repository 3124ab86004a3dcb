import { createHealthEventsHandler } from '../../functions/health-events/handler.js';
import { runPollCycle } from '../../shared/app/poll-cycle.js';
import { startTestPipeline } from '../support/pipeline.js';
import { pushConfig } from '../support/push.js';

type Pipeline = Awaited<ReturnType<typeof startTestPipeline>>;
const minute = 60_000;

/** An EventBridge delivery of an AWS Health event (written here; the captured ones are in test/conformance). */
function healthEvent(detail: Record<string, unknown>, envelope: Record<string, unknown> = {}) {
  return {
    version: '0',
    id: 'e-1',
    'detail-type': 'AWS Health Event',
    source: 'aws.health',
    account: '123456789012',
    time: '2026-09-29T00:00:00Z',
    region: 'us-east-1',
    resources: [],
    detail: {
      eventArn: 'arn:aws:health:us-east-1::event/EC2/AWS_EC2_OPERATIONAL_ISSUE/AWS_EC2_OPERATIONAL_ISSUE_1',
      service: 'EC2',
      eventTypeCode: 'AWS_EC2_OPERATIONAL_ISSUE',
      eventTypeCategory: 'issue',
      eventScopeCode: 'PUBLIC',
      communicationId: 'comm-1',
      statusCode: 'open',
      eventRegion: 'us-east-1',
      startTime: 'Tue, 29 Sep 2026 00:00:00 GMT',
      eventDescription: [{ language: 'en_US', latestDescription: 'Increased API error rates' }],
      ...detail,
    },
    ...envelope,
  };
}

describe('functions/health-events handler: the aws.health EventBridge rule target', () => {
  let p: Pipeline;
  let handler: ReturnType<typeof createHealthEventsHandler>;
  const ec2 = async () => (await p.store.getComponentStates(['aws-ec2-use1'])).get('aws-ec2-use1');

  beforeEach(async () => {
    p = await startTestPipeline(pushConfig());
    handler = createHealthEventsHandler(p.deps);
  });
  afterEach(() => p.stop());

  test('an open issue is observed; the same communication from the backup region is not observed twice', async () => {
    expect(await handler(healthEvent({}))).toMatchObject({ sources: 1, accepted: 1, duplicates: 0, observations: 1 });
    expect(await ec2()).toMatchObject({ candidate: 'partial_outage', candidateCount: 1 });

    // The backup region delivers the same eventArn + communicationId in another envelope.
    p.clock.advance(5_000);
    expect(await handler(healthEvent({}, { id: 'e-2', region: 'us-west-2' }))).toMatchObject({ accepted: 0, duplicates: 1, observations: 0 });
    expect(await ec2()).toMatchObject({ candidate: 'partial_outage', candidateCount: 1 });

    // A new communication on the same event is a new read.
    p.clock.advance(5_000);
    expect(await handler(healthEvent({ communicationId: 'comm-2' }))).toMatchObject({ accepted: 1, transitions: 1 });
    expect(await ec2()).toMatchObject({ status: 'partial_outage' });
  });

  test('closed events close: the standing status is the worst still-open event', async () => {
    const second = { eventArn: 'arn:aws:health:us-east-1::event/EC2/AWS_EC2_API_ISSUE/2', communicationId: 'b-1', eventTypeCategory: 'accountNotification' };
    await handler(healthEvent({}));
    await handler(healthEvent(second));
    p.clock.advance(minute);
    await runPollCycle(p.deps);
    expect(await ec2()).toMatchObject({ status: 'partial_outage' }); // the issue, not the milder notification

    await handler(healthEvent({ communicationId: 'comm-9', statusCode: 'closed', endTime: 'Tue, 29 Sep 2026 01:00:00 GMT' }));
    const state = (await p.store.getSourceStates(['aws'])).get('aws')!;
    expect(state.push?.open).toEqual({ 'aws-ec2-use1': { [second.eventArn]: 'degraded' } });
    expect(state.push?.standing['aws-ec2-use1']).toMatchObject({ status: 'degraded', title: expect.stringMatching(/^AWS_EC2_OPERATIONAL_ISSUE/) });

    await handler(healthEvent({ ...second, communicationId: 'b-2', statusCode: 'closed' }));
    p.clock.advance(minute);
    await runPollCycle(p.deps);
    expect(await ec2()).toMatchObject({ status: 'operational' });
    expect((await p.store.getSourceStates(['aws'])).get('aws')!.push?.open).toBeUndefined();
  });

  test('an IMPAIRED watched entity makes an open issue a major outage; other regions do not match', async () => {
    await handler(healthEvent({ affectedEntities: [{ entityValue: 'i-1', status: 'IMPAIRED' }] }));
    expect(await ec2()).toMatchObject({ candidate: 'major_outage' });
    expect(await handler(healthEvent({ eventArn: 'arn:aws:health:eu-west-1::event/EC2/X/1', eventRegion: 'eu-west-1', communicationId: 'x' }))).toMatchObject({ accepted: 1, observations: 0 });
  });

  test('a test event (source ≠ aws.health) is rejected with a clear error, not thrown; accepted in test mode', async () => {
    const putEntry = [{ Source: 'com.example.test', DetailType: 'AWS Health Event', Detail: JSON.stringify(healthEvent({}).detail) }];
    const r = await handler(putEntry);
    expect(r.rejected).toEqual([{ sourceId: 'aws', error: 'source "aws": [0].source: "com.example.test" is not aws.health (a test or replayed event; set acceptTestEvents: true to accept it)' }]);
    expect(await ec2()).toBeUndefined();

    await p.stop();
    p = await startTestPipeline(pushConfig({ awsAcceptTestEvents: true }));
    expect(await createHealthEventsHandler(p.deps)(putEntry)).toMatchObject({ accepted: 1, observations: 1 });
  });

  test('an unrecognised category reads unknown for one read and does not stick', async () => {
    await handler(healthEvent({}));
    const r = await handler(healthEvent({ eventArn: 'arn:aws:health:us-east-1::event/T', communicationId: 't', eventTypeCategory: 'category' }));
    expect(r).toMatchObject({ accepted: 1, observations: 1 });
    expect(await ec2()).toMatchObject({ candidate: 'unknown' });
    p.clock.advance(minute);
    await runPollCycle(p.deps); // the standing status (the open issue) is read again
    expect(await ec2()).toMatchObject({ candidate: 'partial_outage', candidateCount: 1 });
  });

  test('garbage is answered with a clear error naming the field, never thrown', async () => {
    expect((await handler({ hello: 'world' })).rejected[0]!.error).toMatch(/^source "aws": detail: not an AWS Health event/);
    expect((await handler(healthEvent({ service: undefined }))).rejected[0]!.error).toMatch(/^source "aws": detail\.service: /);
    expect((await handler({ source: 'aws.health', detail: '{not json' })).rejected[0]!.error).toMatch(/^source "aws": detail: is a string but not JSON/);
  });
});
