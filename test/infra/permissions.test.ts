import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import type { DialtoneFunction } from '../../infra/constructs/dialtone-function';
import { DynamoStore } from '../../shared/adapters/dynamo-store';
import { startEmbeddedDynamo, type EmbeddedDynamo } from '../../shared/adapters/embedded-dynamo';
import { TABLE_KEYS } from '../../shared/adapters/table';
import { ackLink } from '../../shared/app/ack';
import { loadConfigFile, validateConfig } from '../../shared/config/load';
import type { MonitoringConfig } from '../../shared/config/schema';
import { systemClock } from '../../shared/domain/clock';
import { ackCode } from '../../shared/domain/incident';
import type { Incident } from '../../shared/domain/records';
import { kmsViaService, startAwsRecorder, type Access, type AwsRecorder } from '../support/aws-recorder';
import { httpEvent, pushConfig, sign, SIGNING_ENV, SIGNING_SECRET, TOKENS } from '../support/push';
import { allowing, grantsOf, kindOfArn, matches, resolver, type Grant, type TemplateJson } from './iam';
import { cleanUp, logicalId, statementsOf, synth, type Synth } from './support';

/**
 * Permissions derived from behaviour. The embedded DynamoDB enforces no IAM, so a handler can
 * pass every other test and still be refused in AWS. Here every function's handler runs its real
 * paths (normal, a delivery, a receipt, an acknowledgement, failures) on the embedded store,
 * with the environment the synthesized stack gives it, while every AWS SDK command it sends is
 * recorded and mapped to the IAM action and resource it needs (test/support/aws-recorder.ts).
 * Then, per function, against its role's policies in the template:
 * - every recorded command must be allowed on its resource, as IAM would evaluate it;
 * - every granted (action, resource) must be used by a recorded command, be what the service
 *   asks KMS for on the function's behalf, be the Lambda service's own use of the role, or be
 *   named in UNDRIVEN with the code path that needs it.
 */

const REGION = 'us-east-1';
const ACCOUNT = '123456789012';
const ROOT = path.resolve(__dirname, '../..');
const ACK_SECRET = 'ack-signing-key-for-tests';
const T0 = Date.parse('2026-09-29T00:00:00Z');
const minute = 60_000;
/** The stack's functions with everything on; named here because jest collects tests before the synth (a test checks the list). */
const FUNCTIONS = ['acks', 'api', 'deliver', 'delivery-status', 'health-events', 'ingest', 'poll-standard', 'sweep'];

/** What the deployment resolves from a dynamic reference ({{resolve:secretsmanager:…}}), by variable. */
const RESOLVED_AT_DEPLOY: Record<string, string> = { DIALTONE_ACK_SECRET: ACK_SECRET, [SIGNING_ENV]: SIGNING_SECRET };

/**
 * Grants the Lambda service uses with the function's role, never handler code: the runtime
 * writes the function's own log group; an asynchronous invocation that failed for good goes to
 * the on-failure destination (aws-lambda-destinations SqsDestination grants these three).
 */
const PLATFORM = {
  logGroup: ['logs:CreateLogStream', 'logs:PutLogEvents'],
  onFailure: ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
};

/**
 * Grants a code path needs that this test cannot drive. Each entry names the function, the
 * action, the resource kind, and the code that sends it. Empty: every grant is driven.
 */
const UNDRIVEN: Array<{ fn: string; action: string; kind: string; path: string }> = [];

// ── the world the handlers run in ────────────────────────────────────────────────────────────

/** Upstream pages on loopback: three Statuspage summaries and a Microsoft Graph (token + issues). */
const upstream = { routing: 'operational' };
function startUpstream(): Promise<Server> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    req.resume();
    req.on('end', () => {
      const json = (body: unknown) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (url.pathname.endsWith('/oauth2/v2.0/token')) return json({ token_type: 'Bearer', expires_in: 3599, access_token: 'graph-token' });
      if (url.pathname.startsWith('/graph/')) return json({ value: [] });
      const components = url.pathname === '/vendor.json' ? [{ id: 'r', name: 'Routing', status: upstream.routing }, { id: 'a', name: 'ALI', status: 'operational' }] : [];
      json({ page: { id: 'p', name: 'Page', url: 'https://status.example' }, status: { indicator: 'none', description: '' }, components, incidents: [] });
    });
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok(server)));
}

/**
 * The push test world (every push kind, an HMAC-signed webhook) with its polled pages on
 * loopback, two Microsoft Graph sources (client secret in SSM, in Secrets Manager), an
 * acknowledgement link base, and Wright depending on EC2 (so an AWS Health event pages its neighbour).
 */
function permissionsConfig(origin: string): MonitoringConfig {
  const base = pushConfig();
  const graph = (id: string, clientSecret: Record<string, string>) => ({
    id,
    kind: 'm365-graph',
    url: `${origin}/graph/${id}/v1.0`,
    tokenUrl: `${origin}/${id}/oauth2/v2.0/token`,
    tenantId: 'contoso.onmicrosoft.com',
    clientId: `app-${id}`,
    clientSecret,
    components: [{ id: `${id}-exchange`, name: 'Exchange Online', provider: 'Microsoft', match: { service: 'Exchange Online' } }],
  });
  const pages: Record<string, string> = { vendor: '/vendor.json', office: '/office.json', carrier: '/carrier.json' };
  const raw = {
    ...base,
    network: { allow: ['127.0.0.1'] },
    // re-reads at the next poll, not seconds later: the poll handler would sleep for them
    thresholds: { ...base.thresholds, recheckSeconds: 0 },
    delivery: { ...base.delivery, smsMps: 1000 },
    acks: { linkBase: 'https://ack.example' },
    sources: [
      ...base.sources.map((s) => (pages[s.id] ? { ...s, url: `${origin}${pages[s.id]}` } : s)),
      graph('graph-ssm', { ssm: '/dialtone/graph-ssm' }),
      graph('graph-sm', { secretsManager: 'dialtone/graph-sm' }),
    ],
    // Wright depends on EC2 alone (an incident of its own: a service already in another incident
    // stays there) and is dark whenever EC2 is in trouble; its neighbour Anoka's floor is paged by SMS.
    services: [
      ...base.services,
      { id: 'wright', name: 'Wright County 911', kind: 'psap', fips: '27171', state: 'MN', dependsOn: [{ component: 'aws-ec2-use1', effect: { degraded: 'Down', partial_outage: 'Down', major_outage: 'Down' } }], neighbours: ['anoka'] },
    ],
    // ops is paged by SMS too: the receipt of an SMS nobody else can receive alerts ops on both channels
    // Wright's own emergency manager hears the EC2 incident by email (the health path sends through SES too).
    recipients: [
      ...base.recipients,
      { id: 'ops-pager', name: 'Ops pager', role: 'ops', channels: { sms: '+16125550190' } },
      { id: 'wright-em', name: 'Wright EM', role: 'county-manager', jurisdictions: { fips: ['27171'] }, channels: { email: 'em@wright.example' } },
    ],
    // the carrier's selective routers are upgraded 00:50–01:10: the sweep opens and closes it
    maintenance: [{ id: 'sr-upgrade', components: ['sr'], start: '2026-09-29T00:50', durationMinutes: 20, notify: true }],
  };
  const r = validateConfig(raw);
  if (!r.ok) throw new Error(`permissions config invalid: ${JSON.stringify(r.problems)}`);
  return r.config;
}

/** An AWS Health event from EventBridge (the health-events rule's target input). */
const healthEvent = (communicationId: string) => ({
  version: '0',
  id: `e-${communicationId}`,
  'detail-type': 'AWS Health Event',
  source: 'aws.health',
  account: ACCOUNT,
  time: '2026-09-29T00:00:00Z',
  region: REGION,
  resources: [],
  detail: {
    eventArn: 'arn:aws:health:us-east-1::event/EC2/AWS_EC2_OPERATIONAL_ISSUE/1',
    service: 'EC2',
    eventTypeCode: 'AWS_EC2_OPERATIONAL_ISSUE',
    eventTypeCategory: 'issue',
    eventScopeCode: 'PUBLIC',
    communicationId,
    statusCode: 'open',
    eventRegion: REGION,
    startTime: 'Tue, 29 Sep 2026 00:00:00 GMT',
    eventDescription: [{ language: 'en_US', latestDescription: 'Increased API error rates' }],
  },
});

/** A Statuspage component_update for the vendor-hook's database component. */
const componentUpdate = (status: string, id: string) =>
  JSON.stringify({
    page: { id: 'jb7j80lkgqvb', status_indicator: 'major' },
    component: { id: 'sqm6pl84wzjc', name: 'Database component', status },
    component_update: { id, component_id: 'sqm6pl84wzjc', old_status: 'operational', new_status: status, created_at: '2026-09-29T00:00:00Z' },
  });

/** SNS SMS delivery status log lines, as the subscription filter hands them over. */
const statusEvent = (lines: Array<{ messageId: string; status: 'SUCCESS' | 'FAILURE' }>) => ({
  awslogs: {
    data: gzipSync(
      JSON.stringify({
        messageType: 'DATA_MESSAGE',
        logGroup: `sns/${REGION}/${ACCOUNT}/DirectPublishToPhoneNumber`,
        logEvents: lines.map((l, i) => ({
          id: String(i),
          timestamp: T0,
          message: JSON.stringify({ notification: { messageId: l.messageId, timestamp: '2026-09-29 00:05:00.000' }, delivery: { providerResponse: l.status === 'SUCCESS' ? 'Message has been accepted by phone' : 'Unknown error attempting to reach phone' }, status: l.status }),
        })),
      }),
    ).toString('base64'),
  },
});

// ── the comparison ───────────────────────────────────────────────────────────────────────────

interface Used {
  command: string;
  access: Access;
  region: string;
}
const key = (g: Grant, action: string, resource: string) => `${g.sid ?? '(no sid)'} ${action} ${resource}`;

describe('permissions derived from behaviour', () => {
  let s: Synth;
  let work: string;
  let server: Server;
  let db: EmbeddedDynamo;
  let recorder: AwsRecorder;
  let config: MonitoringConfig;
  let templates: TemplateJson[];
  let app: TemplateJson;
  let resolve: ReturnType<typeof resolver>;
  /** function name in the stack → its handler folder (functions/<folder>/handler.ts) */
  const folderOf = new Map<string, string>();
  const smsSent: Array<{ phone: string; messageId: string }> = [];
  const outcomes: Record<string, unknown> = {};
  const saved = { ...process.env };
  // The handlers' clock (systemClock, the one place real time enters) runs at real speed from
  // the scenario's instant: setClock jumps it, nothing waits for it.
  let offset = 0;
  const setClock = (at: number) => (offset = at - Date.now());
  const now = () => Date.now() + offset;

  /** The stack's environment for the function, resolved as at deploy time, plus what the Lambda runtime sets. */
  function environmentOf(name: string): Record<string, string> {
    const fn = app.Resources[logicalId(s.built.stack.functions[name]!)]!;
    const vars = (fn.Properties.Environment?.Variables ?? {}) as Record<string, unknown>;
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(vars)) {
      const value = resolve(v);
      if (!value.includes('{{resolve:')) env[k] = value;
      else if (RESOLVED_AT_DEPLOY[k] !== undefined) env[k] = RESOLVED_AT_DEPLOY[k]!;
      else throw new Error(`${name}: ${k} is resolved at deploy time; add a test value to RESOLVED_AT_DEPLOY`);
    }
    return {
      ...env,
      AWS_REGION: REGION,
      AWS_DEFAULT_REGION: REGION,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_LAMBDA_FUNCTION_NAME: name,
      // the bundle's inlined config (esbuild define), here as the variable it stands for
      DIALTONE_CONFIG_JSON: JSON.stringify(config),
      // the table is the embedded one; every other service is answered by the recorder
      AWS_ENDPOINT_URL_DYNAMODB: db.endpoint,
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_METRICS_DISABLED: 'true',
    };
  }

  /** One invocation of a function's deployed handler (its own cold start on first use), recorded as that function. */
  async function invoke<T = Record<string, unknown>>(name: string, event: unknown): Promise<T> {
    process.env = { ...saved, ...environmentOf(name) };
    const mod = (await import(path.join(ROOT, 'functions', folderOf.get(name)!, 'handler'))) as { handler: (event: unknown, context: Context) => Promise<T> };
    const context = {
      functionName: name,
      awsRequestId: 'req',
      invokedFunctionArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`,
      memoryLimitInMB: '256',
      functionVersion: '$LATEST',
      getRemainingTimeInMillis: () => 50_000,
    } as unknown as Context;
    return recorder.as(name, () => mod.handler(event, context));
  }

  beforeAll(async () => {
    jest.spyOn(systemClock, 'now').mockImplementation(() => new Date(now()));
    server = await startUpstream();
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    config = permissionsConfig(origin);
    work = mkdtempSync(path.join(tmpdir(), 'dialtone-permissions-'));
    const file = path.join(work, 'dialtone.json');
    writeFileSync(file, JSON.stringify(config));
    const loaded = loadConfigFile(file);
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
    config = loaded.config;

    // Everything on: two regions (the region lease), customer-managed table keys, SES, SMS
    // settings (delivery statuses), push sources, AWS Health, sources with secrets.
    s = synth({
      config: file,
      regions: `${REGION},us-west-2`,
      tableKey: 'customer',
      sesFromAddress: 'dialtone alerts <alerts@example.org>',
      smsOriginationNumber: '+18335550100',
      opsEmail: 'ops@example.org',
    });
    templates = [...s.templates.values()].map((t) => t.toJSON() as TemplateJson);
    app = s.templates.get(`Dialtone-${REGION}`)!.toJSON() as TemplateJson;
    resolve = resolver(app, templates, { region: REGION, account: ACCOUNT });
    for (const [name, fn] of Object.entries(s.built.stack.functions)) {
      const entry = (fn.node.scope as DialtoneFunction).entry;
      folderOf.set(name, path.basename(path.dirname(entry)));
    }

    db = await startEmbeddedDynamo({ tableName: resolve((app.Resources[logicalId(s.built.stack.functions['sweep']!)]!.Properties.Environment as { Variables: { TABLE_NAME: string } }).Variables.TABLE_NAME) });
    recorder = startAwsRecorder({ passThrough: ['DynamoDBClient'], account: ACCOUNT });
    // An outage of the channels during one poll: one number, email, the topic and the bus refuse
    // (a client error: not retried inside the call), so deliver has all four kinds to retry.
    const outage = { phone: '', others: false };
    const refused = () => Object.assign(new Error('Service unavailable for this test'), { name: 'ServiceUnavailableException', $fault: 'client' });
    const optedOut = '+15205550166'; // Pinal floor
    recorder.answer('SNSClient', 'PublishCommand', (i) => {
      if (i.PhoneNumber ? i.PhoneNumber === outage.phone : outage.others) throw refused();
      const messageId = `sns-${smsSent.length + 1}`;
      if (i.PhoneNumber) smsSent.push({ phone: i.PhoneNumber, messageId });
      return { MessageId: messageId };
    });
    // The listing breaks off after its first page (SNS throttles the second): numbers not on
    // that page are then checked one by one.
    recorder.answer('SNSClient', 'ListPhoneNumbersOptedOutCommand', (i) => {
      if (i.nextToken) throw Object.assign(new Error('Rate exceeded'), { name: 'Throttled' });
      return { phoneNumbers: [optedOut], nextToken: 'page-2' };
    });
    recorder.answer('SNSClient', 'CheckIfPhoneNumberIsOptedOutCommand', (i) => ({ isOptedOut: i.phoneNumber === optedOut }));
    recorder.answer('SNSClient', 'GetSMSAttributesCommand', () => ({ attributes: { MonthlySpendLimit: '50' } }));
    let emails = 0;
    recorder.answer('SESv2Client', 'SendEmailCommand', () => {
      if (outage.others) throw refused();
      return { MessageId: `ses-${++emails}` };
    });
    recorder.answer('EventBridgeClient', 'PutEventsCommand', (i) => {
      if (outage.others) throw refused();
      return { FailedEntryCount: 0, Entries: (i.Entries as unknown[]).map((_, n) => ({ EventId: `ev-${n}` })) };
    });
    recorder.answer('SSMClient', 'GetParameterCommand', () => ({ Parameter: { Value: 'graph-client-secret' } }));
    recorder.answer('SecretsManagerClient', 'GetSecretValueCommand', () => ({ SecretString: 'graph-client-secret' }));

    const store = new DynamoStore({ client: db.client, tableName: db.tableName });
    const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
    const poll = (at: number) => {
      setClock(at);
      return invoke('poll-standard', { group: 'standard', scheduledTime: new Date(at).toISOString() });
    };

    // poll: a steady read of every source (the Graph sources read their client secrets)
    outcomes.steady = await poll(T0);
    // the vendor's routing fails: the first read is a hint, the second confirms and delivers,
    // while Anoka's number, email, the topic and the bus refuse
    upstream.routing = 'major_outage';
    await poll(T0 + minute);
    outage.phone = '+17635550187';
    outage.others = true;
    outcomes.opened = await poll(T0 + 2 * minute);
    outage.phone = '';
    outage.others = false;
    // Another region's run holds a notice from here on: every drain finds it leased and reads it back.
    const held = (await store.listNotices((await store.listOpenIncidents())[0]!.id))[0]!;
    await store.putNotice({ ...held, incidentId: 'INC-20260929-held' });
    await store.leaseNotice('INC-20260929-held', held.seq, 'another-region', new Date(now()), new Date(T0 + 24 * 60 * minute));
    // deliver: nothing due at first; once the failed SMS may be retried, it drains it
    outcomes.deliverIdle = await invoke('deliver', {});
    setClock(T0 + 10 * minute);
    outcomes.drained = await invoke('deliver', {});

    // ingest: a webhook twice (confirms Ramsey Down: a notice), a signed webhook, a heartbeat, a bad token
    setClock(T0 + 11 * minute);
    outcomes.hook1 = await invoke('ingest', httpEvent('vendor-hook', componentUpdate('major_outage', 'cu-1'), { headers: bearer(TOKENS.hook) }));
    setClock(T0 + 11 * minute + 10_000);
    outcomes.hook2 = await invoke('ingest', httpEvent('vendor-hook', componentUpdate('major_outage', 'cu-2'), { headers: bearer(TOKENS.hook) }));
    const ts = Math.floor(now() / 1000);
    const signedBody = componentUpdate('degraded_performance', 'cu-3');
    outcomes.signed = await invoke('ingest', httpEvent('signed-hook', signedBody, { headers: { ...bearer(TOKENS.signed), 'x-dialtone-timestamp': String(ts), 'x-dialtone-signature': sign(signedBody, ts) } }));
    outcomes.heartbeat = await invoke('ingest', httpEvent('hennepin-hb', '', { headers: bearer(TOKENS.heartbeat) }));
    outcomes.badToken = await invoke('ingest', httpEvent('vendor-hook', componentUpdate('operational', 'cu-4'), { headers: bearer('wrong') }));

    // health-events: two communications on an EC2 issue confirm it (Wright down: a notice); a malformed event
    setClock(T0 + 12 * minute);
    outcomes.health1 = await invoke('health-events', healthEvent('comm-1'));
    setClock(T0 + 12 * minute + 5_000);
    outcomes.health2 = await invoke('health-events', healthEvent('comm-2'));
    outcomes.healthBad = await invoke('health-events', { source: 'aws.health', detail: { nonsense: true } });

    // acks: the email link's button, an SMS reply, a forged link
    const incident = (await store.listOpenIncidents()).find((i) => i.causeComponentId === 'routing')!;
    outcomes.incident = incident.id;
    const [, , id, recipient, signature] = new URL(ackLink('https://ack.example', ACK_SECRET, incident.id, 'ramsey-floor')).pathname.split('/').map(decodeURIComponent);
    const linkEvent = (sig: string, method: string) => ({
      version: '2.0',
      routeKey: `${method} /ack/{incidentId}/{recipientId}/{signature}`,
      requestContext: { http: { method, path: '/ack' }, requestId: 'r-1' },
      pathParameters: { incidentId: encodeURIComponent(id!), recipientId: encodeURIComponent(recipient!), signature: sig },
      isBase64Encoded: false,
    });
    setClock(T0 + 13 * minute);
    outcomes.ackPage = await invoke('acks', linkEvent(signature!, 'GET'));
    outcomes.ackLink = await invoke('acks', linkEvent(signature!, 'POST'));
    outcomes.ackForged = await invoke('acks', linkEvent('0'.repeat(signature!.length), 'POST'));
    const reply = { originationNumber: '+16125550111', destinationNumber: '+18335550100', messageBody: `ACK ${ackCode(incident.id)}`, inboundMessageId: 'in-1' };
    outcomes.ackReply = await invoke('acks', { Records: [{ EventSource: 'aws:sns', Sns: { MessageId: 'n-1', Message: JSON.stringify(reply) } }] });
    // acks: a roll call (dialtone roster verify) answered by SMS reply
    const rollCallId = 'RC-20260929T001300Z-00a1b2';
    await store.putRollCall({ recipientId: 'hennepin-floor', id: rollCallId, code: ackCode(rollCallId), channels: ['sms'], sentAt: new Date(T0 + 13 * minute).toISOString() });
    const rollCallReply = { ...reply, messageBody: `ACK ${ackCode(rollCallId)}`, inboundMessageId: 'in-2' };
    outcomes.rollCallReply = await invoke('acks', { Records: [{ EventSource: 'aws:sns', Sns: { MessageId: 'n-2', Message: JSON.stringify(rollCallReply) } }] });

    // api: status, the incident list, one incident, its report and CAP, an unknown one
    const get = (routeKey: string, pathParameters?: Record<string, string>, queryStringParameters?: Record<string, string>) => invoke('api', { routeKey, pathParameters, queryStringParameters });
    outcomes.api = [
      await get('GET /status'),
      await get('GET /incidents', undefined, { status: 'all' }),
      await get('GET /incidents/{id}', { id: incident.id }),
      await get('GET /incidents/{id}/report', { id: incident.id }, { format: 'json' }),
      await get('GET /incidents/{id}/cap', { id: incident.id }),
      await get('GET /incidents/{id}', { id: 'INC-nope' }),
    ].map((r) => (r as { statusCode: number }).statusCode);

    // delivery-status: one SMS delivered, one not, a message id we never sent, and a pointer
    // item an older version wrote for a delivery
    // the one not delivered is a notice's SMS to a recipient with no email: its receipt alerts ops
    const smsOnly = new Set(config.recipients.filter((r) => r.role !== 'ops' && r.channels.sms && !r.channels.email).map((r) => r.channels.sms));
    const first = smsSent[0];
    const second = smsSent.find((m) => m !== first && smsOnly.has(m.phone));
    const legacy = (await store.listDeliveries(incident.id)).find((d) => d.channel === 'sms')!;
    await DynamoDBDocumentClient.from(db.client).send(
      new PutCommand({
        TableName: db.tableName,
        Item: { [TABLE_KEYS.partitionKey]: 'MSG#legacy-1', [TABLE_KEYS.sortKey]: 'MSG', messageId: 'legacy-1', incidentId: legacy.incidentId, seq: legacy.seq, recipientId: legacy.recipientId, channel: legacy.channel },
      }),
    );
    outcomes.statuses = await invoke('delivery-status', statusEvent([{ messageId: first!.messageId, status: 'SUCCESS' }, { messageId: second!.messageId, status: 'FAILURE' }, { messageId: 'never-sent', status: 'SUCCESS' }, { messageId: 'legacy-1', status: 'SUCCESS' }]));
    outcomes.statusJunk = await invoke('delivery-status', { awslogs: { data: 'not gzip' } });

    // sweep: 31 minutes into the outage the incident escalates (FCC); then nothing is due
    setClock(T0 + 33 * minute);
    outcomes.escalated = await invoke('sweep', {});
    outcomes.sweepIdle = await invoke('sweep', {});

    // poll: the vendor recovers (and Hennepin's CAD heartbeat is heard again); good reads resolve
    // the incident: the all-clear, and the cause's slot freed
    upstream.routing = 'operational';
    const isOpen = async (id: string) => (await store.listOpenIncidents()).some((i: Incident) => i.id === id);
    for (let m = 34; m < 40 && (await isOpen(incident.id)); m++) {
      setClock(T0 + m * minute);
      await invoke('ingest', httpEvent('hennepin-hb', '', { headers: bearer(TOKENS.heartbeat) }));
      outcomes.resolved = await poll(T0 + m * minute + 1_000);
    }
    outcomes.routingOpen = await isOpen(incident.id);

    // ingest: the vendor's all-clear pushed twice resolves Ramsey's incident
    const ramsey = (await store.listOpenIncidents()).find((i: Incident) => i.causeComponentId === 'hook-db')!;
    setClock(T0 + 41 * minute);
    outcomes.hookClear1 = await invoke('ingest', httpEvent('vendor-hook', componentUpdate('operational', 'cu-5'), { headers: bearer(TOKENS.hook) }));
    setClock(T0 + 41 * minute + 10_000);
    outcomes.hookClear2 = await invoke('ingest', httpEvent('vendor-hook', componentUpdate('operational', 'cu-6'), { headers: bearer(TOKENS.hook) }));
    outcomes.ramseyOpen = await isOpen(ramsey.id);

    // health-events: the EC2 issue closes; Wright's incident resolves
    const pinal = (await store.listOpenIncidents()).find((i: Incident) => i.causeComponentId === 'aws-ec2-use1')!;
    setClock(T0 + 42 * minute);
    outcomes.healthClosed1 = await invoke('health-events', { ...healthEvent('comm-3'), detail: { ...healthEvent('comm-3').detail, statusCode: 'closed', endTime: 'Tue, 29 Sep 2026 00:42:00 GMT' } });
    setClock(T0 + 42 * minute + 10_000);
    outcomes.healthClosed2 = await invoke('health-events', { ...healthEvent('comm-4'), detail: { ...healthEvent('comm-4').detail, statusCode: 'closed', endTime: 'Tue, 29 Sep 2026 00:42:00 GMT' } });
    outcomes.pinalOpen = await isOpen(pinal.id);

    // sweep: the maintenance window starts (a notice to the routed PSAPs) and ends (resolved)
    setClock(T0 + 52 * minute);
    outcomes.maintenanceStart = await invoke('sweep', {});
    setClock(T0 + 72 * minute);
    outcomes.maintenanceEnd = await invoke('sweep', {});
    outcomes.openAfter = (await store.listOpenIncidents()).map((i: Incident) => i.id);
    if (process.env.H12_DEBUG) writeFileSync(process.env.H12_DEBUG, JSON.stringify(outcomes, null, 1));
  }, 300_000);

  afterAll(async () => {
    jest.restoreAllMocks();
    process.env = saved;
    recorder?.stop();
    await db?.stop();
    server?.closeAllConnections();
    await new Promise((ok) => server?.close(ok));
    if (work) rmSync(work, { recursive: true, force: true });
    cleanUp();
  });

  test('the paths ran: incidents opened and resolved, deliveries sent, one failed and retried, pushes, acks, receipts, an escalation, a maintenance window', () => {
    const o = outcomes as Record<string, Record<string, number> & { body: string; statusCode: number }>;
    expect(o.steady).toMatchObject({ failedSources: 0, sources: 5 });
    expect(o.opened!.notices).toBeGreaterThan(0);
    expect(o.opened!.failedDeliveries).toBeGreaterThan(0);
    expect(o.deliverIdle).toMatchObject({ sent: 0 });
    expect(o.drained!.sent).toBeGreaterThan(0);
    expect(JSON.parse(o.hook2!.body).notices).toBeGreaterThan(0);
    expect(o.signed).toMatchObject({ statusCode: 202 });
    expect(o.heartbeat).toMatchObject({ statusCode: 202 });
    expect(o.badToken).toMatchObject({ statusCode: 401 });
    expect(o.health2).toMatchObject({ accepted: 1 });
    expect(o.health2!.notices).toBeGreaterThan(0);
    expect(o.healthBad!.accepted).toBe(0);
    expect(o.ackLink).toMatchObject({ statusCode: 200 });
    expect(o.ackForged).toMatchObject({ statusCode: 401 });
    expect(o.ackReply).toMatchObject({ acknowledged: 1 });
    expect(o.rollCallReply).toMatchObject({ rollCalls: 1 });
    expect(outcomes.api).toEqual([200, 200, 200, 200, 200, 404]);
    expect(o.statuses).toMatchObject({ received: 4, unknown: 1, undelivered: 1 });
    expect(o.statuses!.updated).toBeGreaterThanOrEqual(3);
    expect(o.escalated!.notices).toBeGreaterThan(0);
    expect(o.sweepIdle).toMatchObject({ notices: 0 });
    expect(o.resolved!.notices).toBeGreaterThan(0);
    expect([outcomes.routingOpen, outcomes.ramseyOpen, outcomes.pinalOpen]).toEqual([false, false, false]);
    expect(o.maintenanceStart!.sent).toBeGreaterThan(0);
    expect(o.maintenanceEnd!.notices).toBeGreaterThan(0);
    expect(outcomes.openAfter).toEqual([]);
  });

  test('every handler under functions/ is in the stack and was driven here', () => {
    expect([...folderOf.keys()].sort()).toEqual(FUNCTIONS);
    const folders = readdirSync(path.join(ROOT, 'functions')).filter((f) => f !== 'common').sort();
    expect([...new Set(folderOf.values())].sort()).toEqual(folders);
    const driven = new Set(recorder.calls.map((c) => c.fn).filter(Boolean));
    expect([...folderOf.keys()].filter((name) => !driven.has(name))).toEqual([]);
  });

  test('every command sent is in the command → IAM table', () => {
    expect(recorder.calls.filter((c) => c.unmapped).map((c) => `${c.fn ?? '(set-up)'}: ${c.client} ${c.command}`)).toEqual([]);
    // What each function sends, and what that needs: written out on request (DIALTONE_PERMISSIONS_REPORT=file).
    const report = FUNCTIONS.flatMap((name) => [...new Set(recorder.of(name).flatMap((c) => c.accesses.map((a) => `${name}: ${c.command} → ${a.action} (${a.kind})`)))].sort());
    if (process.env.DIALTONE_PERMISSIONS_REPORT) writeFileSync(process.env.DIALTONE_PERMISSIONS_REPORT, `${report.join('\n')}\n`);
  });

  test('deliver writes a new item only to take the region lease (one region: no PutItem granted)', () => {
    const puts = recorder.of('deliver').filter((c) => c.command === 'PutItemCommand');
    expect(puts.length).toBeGreaterThan(0);
    // the lease is written with the low-level client: the key is marshalled
    expect(puts.filter((c) => !String(c.input.Item?.[TABLE_KEYS.partitionKey]?.S).startsWith('LEASE#'))).toEqual([]);
  });

  describe.each(FUNCTIONS)('%s', (name) => {
    const grants = () => grantsOf(statementsOf(s.templates.get(`Dialtone-${REGION}`)!, logicalId(s.built.stack.functions[name]!)), resolve);
    const used = (): Used[] => {
      const seen = new Map<string, Used>();
      for (const c of recorder.of(name)) for (const a of c.accesses) seen.set(`${c.command} ${a.action} ${a.resources.join('|')}`, { command: c.command, access: a, region: c.region });
      return [...seen.values()];
    };
    const allowedBy = (u: Used, g: Grant[]) => u.access.resources.flatMap((r) => allowing(g, u.access.action, r, { 'aws:RequestedRegion': u.region }).map((grant) => ({ grant, resource: r })));

    test('every command it sends is allowed by its role', () => {
      const g = grants();
      const refused = used()
        .filter((u) => allowedBy(u, g).length === 0)
        .map((u) => `${u.command} → ${u.access.action} on ${u.access.kind} ${u.access.resources.join(' or ')}`);
      expect(refused).toEqual([]);
    });

    test('every grant of its role is used by a path it runs (or named with the path that needs it)', () => {
      const g = grants();
      const calls = used();
      const marked = new Set<string>();
      for (const u of calls)
        for (const { grant, resource } of allowedBy(u, g))
          for (const a of grant.actions.filter((x) => matches(x, u.access.action, true))) for (const r of grant.resources.filter((x) => matches(x, resource))) marked.add(key(grant, a, r));

      const fnId = logicalId(s.built.stack.functions[name]!);
      const fn = app.Resources[fnId]!;
      const logGroup = resolve({ 'Fn::GetAtt': [(fn.Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref, 'Arn'] });
      const invokeConfig = Object.values(app.Resources).find((r) => r.Type === 'AWS::Lambda::EventInvokeConfig' && JSON.stringify(r.Properties.FunctionName) === JSON.stringify({ Ref: fnId }));
      const onFailure = invokeConfig?.Properties.DestinationConfig?.OnFailure?.Destination;
      const destination = onFailure ? resolve(onFailure) : undefined;
      const encryptedBy = encryptionKeys(templates, { region: REGION, account: ACCOUNT });

      const unused: string[] = [];
      for (const grant of g) {
        for (const a of grant.actions) {
          for (const r of grant.resources) {
            if (marked.has(key(grant, a, r))) continue;
            // An action never applies to another service's ARN: such a pair authorizes nothing.
            if (r !== '*' && r.split(':')[2] !== a.split(':')[0]) continue;
            if (PLATFORM.logGroup.includes(a) && r === logGroup) continue;
            if (PLATFORM.onFailure.includes(a) && r === destination) continue;
            // KMS through a service: used when a recorded call of that service reaches a resource under this key
            const via = grant.conditions.StringEquals?.['kms:ViaService'];
            if (
              a.startsWith('kms:') &&
              via &&
              calls.some((u) => {
                const k = kmsViaService(u.access.action);
                return k && via.includes(`${k.service}.${REGION}.amazonaws.com`) && k.actions.includes(a) && allowedBy(u, g).some(({ resource }) => encryptedBy(resource) === r);
              })
            )
              continue;
            if (UNDRIVEN.some((x) => x.fn === name && x.action === a && x.kind === kindOfArn(r))) continue;
            unused.push(`${grant.sid ?? '(no sid)'}: ${a} on ${kindOfArn(r)} ${r}`);
          }
        }
      }
      expect(unused).toEqual([]);
    });
  });

});

/** The customer-managed key of each encrypted table and topic, by resource ARN (a table index: its table's). */
function encryptionKeys(all: TemplateJson[], p: { region: string; account: string }): (arn: string) => string | undefined {
  const keys = new Map<string, string>();
  for (const t of all) {
    const r = resolver(t, all, p);
    for (const [id, res] of Object.entries(t.Resources)) {
      if (res.Type === 'AWS::SNS::Topic' && res.Properties?.KmsMasterKeyId) keys.set(r({ Ref: id }), r(res.Properties.KmsMasterKeyId));
      if (res.Type === 'AWS::DynamoDB::GlobalTable') {
        const replica = (res.Properties.Replicas as Array<{ Region: string; SSESpecification?: { KMSMasterKeyId?: unknown } }>).find((x) => r(x.Region) === p.region);
        const keyId = replica?.SSESpecification?.KMSMasterKeyId;
        if (keyId) keys.set(`arn:aws:dynamodb:${p.region}:${p.account}:table/${r(res.Properties.TableName)}`, r(keyId));
      }
    }
  }
  return (arn) => keys.get(arn.replace(/\/index\/[^/]+$/, ''));
}
