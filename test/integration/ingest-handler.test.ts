import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createIngestHandler } from '../../functions/ingest/handler.js';
import { MAX_PUSH_BYTES } from '../../shared/app/ingest.js';
import { runPollCycle } from '../../shared/app/poll-cycle.js';
import { startTestPipeline } from '../support/pipeline.js';
import { FIXTURES, httpEvent, pushConfig, secrets, sign, TOKENS } from '../support/push.js';

type Pipeline = Awaited<ReturnType<typeof startTestPipeline>>;
const minute = 60_000;

/** A Statuspage component_update for the fixture's component (id sqm6pl84wzjc), written here so the test runs without the fixtures folder. */
function componentUpdate(newStatus: string, updateId: string): string {
  return JSON.stringify({
    meta: { generated_at: '2026-09-29T00:00:00Z' },
    page: { id: 'jb7j80lkgqvb', status_indicator: 'major', status_description: 'Partial System Outage' },
    component: { id: 'sqm6pl84wzjc', name: 'Database component', status: newStatus },
    component_update: { id: updateId, component_id: 'sqm6pl84wzjc', old_status: 'operational', new_status: newStatus, created_at: '2026-09-29T00:00:00Z' },
  });
}

describe('functions/ingest handler: POST /push/{sourceId} on the embedded store', () => {
  let p: Pipeline;
  let handler: ReturnType<typeof createIngestHandler>;
  const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
  const post = async (...args: Parameters<typeof httpEvent>) => {
    const r = await handler(httpEvent(...args));
    return { status: r.statusCode, body: JSON.parse(r.body ?? '{}') };
  };

  beforeEach(async () => {
    p = await startTestPipeline(pushConfig());
    handler = createIngestHandler({ ...p.deps, secrets });
  });
  afterEach(() => p.stop());

  test('a good Statuspage push is recorded as an observation, and after the configured reads the service changes', async () => {
    await runPollCycle(p.deps); // steady baseline
    p.clock.advance(minute);
    const r = await post('vendor-hook', componentUpdate('major_outage', 'cu-1'), { headers: bearer(TOKENS.hook) });
    expect(r).toMatchObject({ status: 202, body: { ok: true, sourceId: 'vendor-hook', observations: 2, componentTransitions: 0 } });
    const [db] = [(await p.store.getComponentStates(['hook-db'])).get('hook-db')!];
    expect(db).toMatchObject({ status: 'operational', candidate: 'major_outage', candidateCount: 1 }); // one read: a hint

    // The next poll cycle repeats the standing status: the second read confirms it (openAfter 2).
    p.clock.advance(minute);
    const cycle = await runPollCycle(p.deps);
    expect(cycle.componentTransitions.map((t) => `${t.id}:${t.to}`).sort()).toEqual(['hook-db:major_outage', 'hook-page:partial_outage']);
    expect(cycle.serviceTransitions.map((t) => `${t.id}:${t.to}`)).toEqual(['ramsey:Down']);
    expect(cycle.notices.map((n) => n.reason)).toEqual(['opened']);

    // The all-clear push plus a cycle closes it again.
    p.clock.advance(minute);
    expect((await post('vendor-hook', componentUpdate('operational', 'cu-2'), { headers: bearer(TOKENS.hook) })).status).toBe(202);
    p.clock.advance(minute);
    const cleared = await runPollCycle(p.deps);
    // (Hennepin goes Unknown meanwhile: its heartbeat was never heard in this test, which is blind, not down.)
    expect(cleared.serviceTransitions.filter((t) => t.id !== 'hennepin').map((t) => `${t.id}:${t.to}`)).toEqual(['ramsey:Normal']);
  });

  test('two pushes are two reads: the second confirms without waiting for a cycle', async () => {
    await post('vendor-hook', componentUpdate('major_outage', 'cu-1'), { headers: bearer(TOKENS.hook) });
    p.clock.advance(10_000);
    const second = await post('vendor-hook', componentUpdate('major_outage', 'cu-2'), { headers: bearer(TOKENS.hook) });
    expect(second.body).toMatchObject({ componentTransitions: 2, serviceTransitions: 1, notices: 1 });
    expect((await p.store.listTransitions('service', 'ramsey')).map((t) => t.to)).toEqual(['Down']);
  });

  test('the token may ride in the URL path or the query (Statuspage can only be given a URL)', async () => {
    expect((await post('vendor-hook', componentUpdate('degraded_performance', 'cu-1'), { token: TOKENS.hook })).status).toBe(202);
    expect((await post('vendor-hook', componentUpdate('degraded_performance', 'cu-2'), { query: { token: TOKENS.hook } })).status).toBe(202);
    expect((await post('vendor-hook', componentUpdate('degraded_performance', 'cu-3'), { headers: { 'X-Dialtone-Token': TOKENS.hook } })).status).toBe(202);
  });

  test('bad or missing token, bad signature → 401 and nothing recorded', async () => {
    const body = componentUpdate('major_outage', 'cu-1');
    expect(await post('vendor-hook', body)).toMatchObject({ status: 401, body: { ok: false, error: expect.stringMatching(/missing token/) } });
    expect(await post('vendor-hook', body, { headers: bearer('wrong') })).toMatchObject({ status: 401, body: { error: 'token not accepted' } });
    expect(await post('vendor-hook', body, { headers: bearer(TOKENS.aws) })).toMatchObject({ status: 401 }); // another source's token

    const ts = Math.floor(p.clock.now().getTime() / 1000);
    const signed = { ...bearer(TOKENS.signed), 'x-dialtone-timestamp': String(ts) };
    expect(await post('signed-hook', body, { headers: { ...signed, 'x-dialtone-signature': sign(body, ts, 'not-the-secret') } })).toMatchObject({ status: 401, body: { error: 'signature does not match the body' } });
    expect(await post('signed-hook', body, { headers: { ...signed, 'x-dialtone-signature': sign(`${body} `, ts) } })).toMatchObject({ status: 401 }); // body changed
    expect(await post('signed-hook', body, { headers: { ...signed, 'x-dialtone-signature': 'zz' } })).toMatchObject({ status: 401 });
    expect(await post('signed-hook', body, { headers: bearer(TOKENS.signed) })).toMatchObject({ status: 401, body: { error: expect.stringMatching(/missing x-dialtone-signature/) } });
    expect((await p.store.getSourceStates(['vendor-hook', 'signed-hook'])).size).toBe(0);
  });

  test('replay → 409: a signature outside the window, or the same signed push again', async () => {
    const body = componentUpdate('major_outage', 'cu-1');
    const now = Math.floor(p.clock.now().getTime() / 1000);
    const headers = (ts: number) => ({ ...bearer(TOKENS.signed), 'x-dialtone-timestamp': String(ts), 'x-dialtone-signature': sign(body, ts) });
    expect(await post('signed-hook', body, { headers: headers(now - 301) })).toMatchObject({ status: 409, body: { error: expect.stringMatching(/^replay refused: signed 301 s/) } });
    expect(await post('signed-hook', body, { headers: headers(now + 400) })).toMatchObject({ status: 409 });
    expect(await post('signed-hook', body, { headers: headers(now - 10) })).toMatchObject({ status: 202, body: { observations: 1 } });
    p.clock.advance(5_000);
    expect(await post('signed-hook', body, { headers: headers(now - 10) })).toMatchObject({ status: 409, body: { error: 'replay refused: this signed push was accepted before' } });
  });

  test('a Statuspage retry of the same notification is recorded once (200, duplicate)', async () => {
    const body = componentUpdate('major_outage', 'cu-1');
    expect((await post('vendor-hook', body, { headers: bearer(TOKENS.hook) })).status).toBe(202);
    expect(await post('vendor-hook', body, { headers: bearer(TOKENS.hook) })).toMatchObject({ status: 200, body: { duplicate: true, observations: 0 } });
    expect((await p.store.getComponentStates(['hook-db'])).get('hook-db')).toMatchObject({ candidateCount: 1 });
  });

  test('malformed → 400 naming the field', async () => {
    const h = { headers: bearer(TOKENS.hook) };
    expect(await post('vendor-hook', '{"page":', h)).toMatchObject({ status: 400, body: { field: '(body)', error: expect.stringMatching(/^source "vendor-hook": body is not JSON/) } });
    const noStatus = JSON.parse(componentUpdate('major_outage', 'cu-1'));
    delete noStatus.component_update.new_status;
    expect(await post('vendor-hook', JSON.stringify(noStatus), h)).toMatchObject({ status: 400, body: { field: 'component_update.new_status', error: expect.stringMatching(/^source "vendor-hook": component_update\.new_status: /) } });
    expect(await post('vendor-hook', JSON.stringify({ page: { id: 'p' } }), h)).toMatchObject({ status: 400, body: { field: 'component_update' } });
    expect(await post('maricopa-report', JSON.stringify({ state: 'Sleeping' }), { headers: bearer(TOKENS.report) })).toMatchObject({ status: 400, body: { field: 'state', error: expect.stringMatching(/"Sleeping" is not a NENA ServiceState/) } });
    expect(await post('maricopa-report', JSON.stringify({ serviceState: {} }), { headers: bearer(TOKENS.report) })).toMatchObject({ status: 400, body: { field: 'serviceState.state' } });
    // The API Gateway event itself.
    const r = await handler({ requestContext: { http: { method: 'POST' } }, pathParameters: {} });
    expect(r.statusCode).toBe(400);
    expect(JSON.parse(r.body!).field).toBe('pathParameters.sourceId');
    expect((await handler({ ...httpEvent('vendor-hook', '{}'), requestContext: { http: { method: 'GET' } } })).statusCode).toBe(405);
  });

  test('oversized → 413 before anything is parsed; unknown source → 404', async () => {
    const big = JSON.stringify({ pad: 'x'.repeat(MAX_PUSH_BYTES) });
    expect(await post('vendor-hook', big, { headers: bearer(TOKENS.hook) })).toMatchObject({ status: 413, body: { error: expect.stringMatching(/over the 262144-byte limit/) } });
    expect(await post('vendor-hook', big, { headers: bearer(TOKENS.hook), base64: true })).toMatchObject({ status: 413 });
    expect(await post('nobody', '{}')).toMatchObject({ status: 404, body: { error: 'no push source "nobody"' } });
    expect(await post('vendor', '{}')).toMatchObject({ status: 404 }); // a polled source takes no pushes
  });

  test('heartbeat: late after the grace → Unreachable through hysteresis; a heartbeat recovers it', async () => {
    const ping = () => post('hennepin-hb', '', { headers: bearer(TOKENS.heartbeat) });
    expect(await ping()).toMatchObject({ status: 202 });
    expect((await p.store.getSourceStates(['hennepin-hb'])).get('hennepin-hb')?.lastHeartbeatAt).toBe(p.clock.now().toISOString());
    await runPollCycle(p.deps);
    p.clock.advance(2 * minute); // 120 s: still within the grace
    expect((await runPollCycle(p.deps)).componentTransitions).toEqual([]);
    p.clock.advance(minute); // late: first bad read
    expect((await runPollCycle(p.deps)).componentTransitions).toEqual([]);
    p.clock.advance(minute);
    const late = await runPollCycle(p.deps);
    expect(late.componentTransitions.map((t) => `${t.id}:${t.to}`)).toEqual(['hennepin-heartbeat:major_outage']);
    expect(late.serviceTransitions.map((t) => `${t.id}:${t.to}`)).toEqual(['hennepin:Unreachable']);
    expect(late.componentTransitions[0]!.evidence.observation?.title).toMatch(/^no heartbeat from Hennepin CAD heartbeat since /);
    // Neighbours hear about a dark PSAP, exactly as for any other cause.
    expect(late.sent.map((d) => d.recipientId)).toEqual(expect.arrayContaining(['ramsey-floor', 'anoka-floor']));

    p.clock.advance(30_000);
    expect(await ping()).toMatchObject({ status: 202, body: { observations: 1 } }); // evaluated at once: one good read
    p.clock.advance(30_000);
    const back = await runPollCycle(p.deps);
    expect(back.serviceTransitions.map((t) => `${t.id}:${t.to}`)).toEqual(['hennepin:Normal']);

    // In steady state a heartbeat is one write and no evaluation.
    p.clock.advance(30_000);
    expect(await ping()).toMatchObject({ status: 202, body: { observations: 0 } });
  });

  test('a heartbeat never received reads unknown (blind), not down', async () => {
    for (let i = 0; i < 3; i++) {
      await runPollCycle(p.deps);
      p.clock.advance(minute);
    }
    expect((await p.store.getComponentStates(['hennepin-heartbeat'])).get('hennepin-heartbeat')?.status).toBe('unknown');
    expect((await p.store.getServiceStates(['hennepin'])).get('hennepin')?.state).toBe('Unknown');
  });

  test('agency report: a PSAP declares its own state (older spelling accepted)', async () => {
    const report = (body: object) => post('maricopa-report', JSON.stringify(body), { headers: bearer(TOKENS.report) });
    expect(await report({ state: 'Unmanned', reason: 'evacuating the floor' })).toMatchObject({ status: 202, body: { observations: 1 } });
    p.clock.advance(minute);
    const cycle = await runPollCycle(p.deps);
    expect(cycle.componentTransitions.map((t) => `${t.id}:${t.to}`)).toEqual(['maricopa-self:major_outage']);
    expect(cycle.componentTransitions[0]!.evidence.observation?.title).toBe('Maricopa self-report reports Unstaffed: evacuating the floor');
    expect(cycle.serviceTransitions.map((t) => `${t.id}:${t.to}`)).toEqual(['maricopa:Down']);
    // The NENA i3 body shape, back to Normal.
    expect(await report({ service: { name: 'PSAP', domain: 'psap.maricopa.example' }, serviceState: { state: 'Normal', reason: '' } })).toMatchObject({ status: 202 });
    p.clock.advance(minute);
    expect((await runPollCycle(p.deps)).serviceTransitions.map((t) => `${t.id}:${t.to}`)).toEqual(['maricopa:Normal']);
  });

  test('agency report: the standing state pushed again is no new read (a retry or a replay cannot confirm it)', async () => {
    const report = () => post('maricopa-report', JSON.stringify({ state: 'Down', reason: 'CAD failure' }), { headers: bearer(TOKENS.report) });
    expect(await report()).toMatchObject({ status: 202, body: { observations: 1, componentTransitions: 0 } });
    p.clock.advance(5_000);
    expect(await report()).toMatchObject({ status: 200, body: { duplicate: true, observations: 0, componentTransitions: 0, notices: 0 } });
    expect((await p.store.getComponentStates(['maricopa-self'])).get('maricopa-self')?.status).toBe('operational');
    // The minute's poll repeats the standing state: that is the second read.
    p.clock.advance(minute);
    expect((await runPollCycle(p.deps)).componentTransitions.map((t) => `${t.id}:${t.to}`)).toEqual(['maricopa-self:major_outage']);
  });

  test('AWS Health over HTTP (an EventBridge API destination) needs the source token', async () => {
    const fixture = path.join(FIXTURES, 'aws-health-eventbridge/public-ec2-operational-issue-open.json');
    const body = (() => {
      try {
        return readFileSync(fixture, 'utf8');
      } catch {
        return JSON.stringify({ source: 'aws.health', detail: { eventArn: 'arn:aws:health:us-east-1::event/EC2/X', service: 'EC2', eventTypeCategory: 'issue', statusCode: 'open', eventRegion: 'us-east-1', communicationId: 'c-1' } });
      }
    })();
    expect((await post('aws', body)).status).toBe(401);
    expect(await post('aws', body, { headers: bearer(TOKENS.aws) })).toMatchObject({ status: 202, body: { observations: 1 } });
  });
});
