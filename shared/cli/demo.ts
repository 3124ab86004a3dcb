import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { readDeliveryLog, type DeliveryLogLine } from '../adapters/local-sender.js';
import { consoleLog } from '../adapters/console-log.js';
import { acknowledgeReply } from '../app/ack.js';
import { rosterModel } from '../app/roster-read.js';
import { runPollCycle, type CycleReport, type PipelineDeps } from '../app/poll-cycle.js';
import { SimulatedClock } from '../domain/clock.js';
import { noticeFields } from '../domain/render.js';
import { durationText } from '../domain/text.js';
import { duplicateCount, duplicateDeliveries, missingAllClears, opsStillRaised, owedAllClears } from './demo-summary.js';
import { LoopbackUpstream } from './loopback-upstream.js';
import { bindConfig, loadScenario, ScenarioError, type ScenarioPush } from './scenario.js';
import { ingestPush, type PushRequest } from '../app/ingest.js';
import { isPush } from '../app/push-sources.js';
import { createHmac } from 'node:crypto';
import { evaluateExpectations, runRecipients, type ExpectResult, type RunIncident } from './scenario-expect.js';
import { dueSources, startLocalPipeline } from './local-pipeline.js';

export interface DemoOptions {
  scenarioFile: string;
  /** Simulated seconds per real second; 0 runs as fast as it can. */
  speed: number;
  /** JSON Lines delivery log (replaced at the start of the run). */
  out: string;
  print: (line: string) => void;
  /** Keep the embedded store under this directory, for `dialtone report`; in memory if absent. */
  dataDir?: string;
}

export interface DemoSummary {
  scenario: string;
  cycles: number;
  wallMs: number;
  componentTransitions: number;
  serviceTransitions: number;
  incidents: RunIncident[];
  notices: number;
  deliveries: DeliveryLogLine[];
  /** Deliveries one too many: the same notice to the same recipient on the same channel (bundles counted as their notices). */
  duplicates: number;
  duplicateDeliveries: string[];
  /** `INC-… recipient/channel`: told about a resolved incident, never told its all-clear on that channel. */
  missingAllClears: string[];
  /** Incidents still open when the replay ended, and who is still owed their all-clear. */
  openAtEnd: Array<{ id: string; services: string[]; owed: string[] }>;
  /** Ops alerts still raised at the end (a monitor blind, egress suspected). */
  opsStillRaised: string[];
  /** The scenario's `expect:`, each with its verdict. */
  expectations: ExpectResult[];
}

const mmss = (ms: number) => {
  const m = Math.floor(ms / 60_000);
  return `+${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
};

/** Replays a scenario through the real pipeline: loopback upstream, real adapters, simulated clock. */
export async function runDemo(opts: DemoOptions): Promise<DemoSummary> {
  const wallStart = performance.now();
  const scenario = loadScenario(opts.scenarioFile);
  if (opts.dataDir !== undefined) freshDemoStore(opts.dataDir);
  const clock = new SimulatedClock(scenario.start);
  const upstream = new LoopbackUpstream(scenario.upstreams, clock, scenario.start);
  const base = await upstream.listen();
  const config = bindConfig(scenario, base);
  const badPushes = scenario.pushes.filter((p, i, all) => all.findIndex((q) => q.source === p.source) === i && !config.sources.some((s) => s.id === p.source && isPush(s)));
  if (badPushes.length > 0) throw new ScenarioError(opts.scenarioFile ?? 'scenario', badPushes.map((p) => ({ path: 'pushes', message: `"${p.source}" is not a push source of the config` })));
  mkdirSync(dirname(opts.out), { recursive: true });
  rmSync(opts.out, { force: true });
  const { print } = opts;
  // Deliveries happen inside the cycle; they are shown after the transitions that caused them.
  const held: string[] = [];
  const hold = (l: string) => held.push(`        ${l}`);
  const pipeline = await startLocalPipeline({ config, clock, log: consoleLog('error', hold), deliveryLogFile: opts.out, print: hold, ...(opts.dataDir !== undefined ? { dataDir: opts.dataDir } : {}) });
  const { model } = pipeline.deps;

  print(`dialtone demo: ${scenario.name}`);
  if (scenario.description) print(`  ${scenario.description}`);
  print(`  simulated ${durationText(scenario.start.toISOString(), new Date(scenario.start.getTime() + scenario.durationMs).toISOString())} from ${scenario.start.toISOString()}, a poll cycle every ${scenario.tickMs / 1000} s; upstream on ${base}`);
  print('');

  const reports: CycleReport[] = [];
  const failing = new Set<string>();
  let prevElapsed: number | undefined;
  try {
    for (let elapsed = 0; elapsed <= scenario.durationMs; elapsed += scenario.tickMs) {
      clock.set(new Date(scenario.start.getTime() + elapsed));
      const t = mmss(elapsed);
      for (const [path, steps] of scenario.upstreams) {
        for (const step of steps) {
          if (step.at > elapsed || (prevElapsed !== undefined && step.at <= prevElapsed)) continue;
          print(`${t}  upstream   ${step.note ?? `${path.slice(1)} serves ${step.label}`}`);
        }
      }
      // Pushes due since the last cycle reach the ingest path at their own time, authenticated.
      for (const push of scenario.pushes.filter((p) => p.at <= elapsed && (prevElapsed === undefined || p.at > prevElapsed))) {
        clock.set(new Date(scenario.start.getTime() + push.at));
        // The signing secret the config names by environment variable is the scenario's own.
        const deps = push.hmacSecret !== undefined ? { ...pipeline.deps, secrets: () => push.hmacSecret } : pipeline.deps;
        const answer = await ingestPush(deps, push.source, pushRequest(push, clock.now()));
        if (push.note !== undefined || answer.status >= 300) print(`${mmss(push.at)}  push       ${push.source}: ${push.note ?? ''}${answer.status >= 300 ? ` refused ${answer.status}: ${'error' in answer.body ? answer.body.error : ''}` : ''}`.trimEnd());
        clock.set(new Date(scenario.start.getTime() + elapsed));
      }
      for (const ack of scenario.acks.filter((a) => a.at <= elapsed && (prevElapsed === undefined || a.at > prevElapsed))) {
        print(`${t}  ack        ${await replyAck(ack.recipient, pipeline.deps, opts.out)}`);
      }
      const report = await runPollCycle(pipeline.deps, dueSources(config, prevElapsed === undefined ? undefined : scenario.start.getTime() + prevElapsed, clock.now().getTime()));
      reports.push(report);
      // A source's failure is shown when it starts and when it ends, not every minute in between.
      for (const s of report.sources) {
        const was = failing.has(s.sourceId);
        if (s.kind === 'failed' && !was) print(`${t}  source     ${s.sourceId} could not be read: ${s.error}`);
        if (s.kind !== 'failed' && was && s.kind !== 'skipped') print(`${t}  source     ${s.sourceId} can be read again`);
        if (s.kind === 'failed') failing.add(s.sourceId);
        else if (s.kind !== 'skipped') failing.delete(s.sourceId);
      }
      for (const tr of report.componentTransitions) {
        const c = model.components.get(tr.id);
        const flap = tr.evidence.flapping === 'started' ? ' (flapping: held, not re-alerted)' : tr.evidence.flapping === 'ended' ? ' (stable again: released)' : '';
        print(`${t}  component  ${c?.name ?? tr.id}: ${tr.from} -> ${tr.to}${flap}`);
      }
      for (const tr of report.serviceTransitions) {
        const s = model.services.get(tr.id);
        print(`${t}  service    ${s?.name ?? tr.id} (${s?.state}): ${tr.from} -> ${tr.to}${tr.evidence.causes?.length ? `, via ${tr.evidence.causes.join(', ')}` : ''}`);
      }
      for (const n of report.notices) {
        const concurrent = n.incident.concurrent.map((c) => model.components.get(c.componentId)?.name ?? c.componentId);
        print(
          `${t}  incident   ${n.incident.id} ${n.phase} (${n.reason}): ${Object.keys(n.incident.services).length} service(s), cause ${n.incident.causeComponentId}` +
            (concurrent.length ? `; concurrent, not the cause: ${concurrent.join(', ')}` : ''),
        );
      }
      for (const line of held.splice(0)) print(line);
      prevElapsed = elapsed;
      if (opts.speed > 0) await sleep(scenario.tickMs / opts.speed);
    }
    const incidents: RunIncident[] = [];
    for (const i of await pipeline.deps.store.listIncidents()) {
      const last = (await pipeline.deps.store.listNotices(i.id)).sort((a, b) => a.seq - b.seq).at(-1);
      incidents.push({
        id: i.id,
        kind: i.kind ?? 'outage',
        cause: i.causeComponentId,
        status: i.status,
        certainty: i.certainty,
        openedAt: i.openedAt,
        ...(i.resolvedAt ? { resolvedAt: i.resolvedAt } : {}),
        ...(i.escalatedAt ? { escalatedAt: i.escalatedAt } : {}),
        services: Object.keys(i.services),
        concurrent: i.concurrent.map((c) => c.componentId),
        ...(last && i.kind !== 'maintenance' ? { fields: noticeFields(last, model) } : {}),
      });
    }
    const deliveries = readDeliveryLog(opts.out);
    const summary: DemoSummary = {
      scenario: scenario.name,
      cycles: reports.length,
      wallMs: Math.round(performance.now() - wallStart),
      componentTransitions: reports.reduce((n, r) => n + r.componentTransitions.length, 0),
      serviceTransitions: reports.reduce((n, r) => n + r.serviceTransitions.length, 0),
      incidents,
      notices: reports.reduce((n, r) => n + r.notices.length, 0),
      deliveries,
      duplicates: duplicateCount(deliveries),
      duplicateDeliveries: duplicateDeliveries(deliveries),
      missingAllClears: missingAllClears(deliveries, incidents),
      openAtEnd: incidents.filter((i) => i.status === 'open').map((i) => ({ id: i.id, services: i.services, owed: owedAllClears(deliveries, i.id) })),
      opsStillRaised: opsStillRaised(deliveries),
      expectations: evaluateExpectations(scenario.expectations, { start: scenario.start.toISOString(), deliveries, incidents, recipients: runRecipients(config) }),
    };
    printSummary(summary, opts);
    return summary;
  } finally {
    await pipeline.stop();
    await upstream.close();
  }
}

/** The recipient answers its last SMS with the ack code it carried, as a person would. */
/** A push as its sender would send it: bearer token, and the HMAC signature when the source wants one. */
function pushRequest(push: ScenarioPush, at: Date): PushRequest {
  const headers: Record<string, string> = { authorization: `Bearer ${push.token}`, 'content-type': 'application/json' };
  if (push.hmacSecret !== undefined) {
    const ts = Math.floor(at.getTime() / 1000);
    headers['x-dialtone-timestamp'] = String(ts);
    headers['x-dialtone-signature'] = `sha256=${createHmac('sha256', push.hmacSecret).update(`${ts}.${push.body}`).digest('hex')}`;
  }
  return { headers, body: push.body, receivedAt: at };
}

async function replyAck(recipientId: string, deps: PipelineDeps, deliveryLog: string): Promise<string> {
  const recipient = (await rosterModel(deps.model, deps.store)).recipients.find((r) => r.id === recipientId);
  const code = readDeliveryLog(deliveryLog)
    .filter((d) => d.recipientId === recipientId && d.channel === 'sms')
    .map((d) => /\bAck ([0-9A-F]{4})\b/.exec(d.text)?.[1])
    .filter((c) => c !== undefined)
    .at(-1);
  if (!recipient?.channels.sms || !code) return `${recipientId} has no SMS with an ack code to answer`;
  const r = await acknowledgeReply(deps.store, deps.model, { from: recipient.channels.sms, text: `ACK ${code}` }, deps.clock.now());
  return r.ok ? `${recipientId} replied "ACK ${code}": acknowledged ${r.ack.incidentId}` : `${recipientId} replied "ACK ${code}": ${r.error}`;
}

function printSummary(s: DemoSummary, opts: DemoOptions) {
  const p = opts.print;
  const count = (f: (l: DeliveryLogLine) => string) =>
    Object.entries(s.deliveries.reduce<Record<string, number>>((m, l) => ({ ...m, [f(l)]: (m[f(l)] ?? 0) + 1 }), {}))
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
  p('');
  p('summary');
  p(`  scenario              ${s.scenario}`);
  p(`  poll cycles           ${s.cycles} in ${(s.wallMs / 1000).toFixed(1)} s wall time`);
  p(`  transitions           ${s.componentTransitions} component, ${s.serviceTransitions} service`);
  for (const i of s.incidents) {
    p(`  incident              ${i.id}: ${i.services.join(', ')}; opened ${i.openedAt}${i.escalatedAt ? `, escalated ${i.escalatedAt}` : ''}${i.resolvedAt ? `, resolved ${i.resolvedAt} (${durationText(i.openedAt, i.resolvedAt)})` : ', still open'}`);
    if (i.concurrent.length) p(`                        concurrent (not the cause): ${i.concurrent.join(', ')}`);
  }
  p(`  notices               ${s.notices}`);
  p(`  deliveries            ${s.deliveries.length} (${count((l) => l.channel)}; ${count((l) => l.role)}; ${count((l) => l.phase)})`);
  p(`  duplicate deliveries  ${s.duplicates}${s.duplicates ? `: ${s.duplicateDeliveries.join('; ')}` : ''}`);
  p(`  missing all-clears    ${s.missingAllClears.length}${s.missingAllClears.length ? `: ${s.missingAllClears.join('; ')}` : ''}`);
  p(`  open at the end       ${s.openAtEnd.length ? s.openAtEnd.map((o) => `${o.id} (${o.services.join(', ')}; all-clear owed to ${o.owed.length})`).join('; ') : 'none'}`);
  if (s.opsStillRaised.length) p(`  ops alerts raised     ${s.opsStillRaised.join('; ')} (not cleared by the end)`);
  p(`  delivery log          ${opts.out}`);
  for (const i of opts.dataDir !== undefined ? s.incidents : []) p(`  report                dialtone report ${i.id} --data-dir ${opts.dataDir} --config ${opts.scenarioFile}`);
  if (s.expectations.length) {
    p('');
    const failed = s.expectations.filter((e) => !e.ok).length;
    p(`expect                  ${s.expectations.length - failed} of ${s.expectations.length} ok`);
    for (const e of s.expectations) {
      p(`  ${e.ok ? 'expect ok    ' : 'expect FAILED'} #${e.index + 1}: ${e.words}`);
      for (const line of e.evidence) p(`      ${line}`);
    }
  }
}

const DEMO_STORE_MARK = '.dialtone-demo-store';

/**
 * The demo replays from its scenario's start time, so it needs an empty store. It replaces a
 * directory only if an earlier demo made it (a mark file says so) and refuses any other
 * non-empty one: a `dialtone run` store is never wiped by mistake.
 */
function freshDemoStore(dir: string): void {
  if (existsSync(dir) && readdirSync(dir).length > 0) {
    if (!existsSync(join(dir, DEMO_STORE_MARK))) throw new ScenarioError(dir, [{ path: '--data-dir', message: 'is not empty and was not made by the demo; give a new or empty directory' }]);
    rmSync(dir, { recursive: true, force: true });
  }
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, DEMO_STORE_MARK), 'made by `dialtone demo --data-dir`; the next demo run with this directory replaces it\n');
}
