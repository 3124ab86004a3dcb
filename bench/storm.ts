/**
 * Part 3: a storm. Ten carrier selective routers fail at once: 500 PSAPs dark (ten incidents of
 * fifty PSAPs), 5,000 recipients on the roster. The outage is driven through the real pipeline
 * (two reads to confirm); the confirming cycle records everything and leaves the notices in the
 * outbox (its delivery step is held back), then delivery is measured two ways:
 *   - queue: route, render and queue every pending notice: composeMessages (routeNotice, render,
 *            one message per recipient, channel and phase, in priority order) and the SMS pacing
 *            plan (planSms: when each part goes out, the ETA). Pure CPU, no store write;
 *   - full:  deliverPending with a counting sender (lease each notice → send → record in batches on the store).
 * Then: messages per recipient per phase, SMS parts (sms-segments-calculator) and the SMS ETA
 * at 3, 20 and 100 parts per second in the order deliverPending sends them.
 */
import { SegmentedMessage } from 'sms-segments-calculator';
import { composeMessages, deliverPending } from '../shared/app/deliver.js';
import { runPollCycle } from '../shared/app/poll-cycle.js';
import type { Store } from '../shared/app/ports.js';
import { SimulatedClock } from '../shared/domain/clock.js';
import { isDark } from '../shared/domain/nena.js';
import type { Channel, Notice } from '../shared/domain/records.js';
import { planSms } from '../shared/app/throttle.js';
import { STORM, stormConfig } from './fixtures.js';
import { CountingSender, measure, pipeline, report, round, World, writesOf } from './harness.js';

const MINUTE = 60_000;
const MPS = [3, 20, 100];

const partsOf = new Map<string, number>();
/** SMS parts as sms-segments-calculator counts them (memoised: recipients of one PSAP share a text). */
const parts = (text: string) => partsOf.get(text) ?? partsOf.set(text, new SegmentedMessage(text, 'auto').segmentsCount).get(text)!;

/** How many messages each recipient got per phase (all channels, and per channel). */
function perRecipient(sent: ReadonlyArray<{ recipientId: string; phase: string; channel: Channel; role: string }>) {
  const all = new Map<string, number>();
  const byChannel = new Map<string, number>();
  for (const d of sent) {
    all.set(`${d.recipientId}|${d.phase}`, (all.get(`${d.recipientId}|${d.phase}`) ?? 0) + 1);
    byChannel.set(`${d.recipientId}|${d.phase}|${d.channel}`, (byChannel.get(`${d.recipientId}|${d.phase}|${d.channel}`) ?? 0) + 1);
  }
  const histogram: Record<string, number> = {};
  for (const n of all.values()) histogram[n] = (histogram[n] ?? 0) + 1;
  const worst = [...all].sort((a, b) => b[1] - a[1])[0];
  const roles: Record<string, { recipients: number; maxPerPhase: number }> = {};
  for (const d of sent) {
    const r = (roles[d.role] ??= { recipients: 0, maxPerPhase: 0 });
    r.maxPerPhase = Math.max(r.maxPerPhase, all.get(`${d.recipientId}|${d.phase}`)!);
  }
  for (const role of Object.keys(roles)) roles[role]!.recipients = new Set(sent.filter((d) => d.role === role).map((d) => d.recipientId)).size;
  return {
    recipientPhases: all.size,
    messagesPerRecipientPerPhase: { max: Math.max(...all.values()), mean: round(sent.length / all.size, 2), histogram, worst: worst ? { recipient: worst[0], messages: worst[1] } : undefined },
    messagesPerRecipientPerPhasePerChannel: { max: Math.max(...byChannel.values()) },
    byRole: roles,
  };
}

/** ETA of the SMS queue at each rate, in the order deliverPending sends (neighbours first within a notice). */
function smsEta(sms: ReadonlyArray<{ role: string; text: string }>) {
  let cumulative = 0;
  let neighboursDone = 0;
  for (const d of sms) {
    cumulative += parts(d.text);
    if (d.role === 'psap') neighboursDone = cumulative;
  }
  const eta = (p: number) => Object.fromEntries(MPS.map((mps) => [`${mps}mps`, round(p / mps, 1)]));
  return { messages: sms.length, parts: cumulative, multipart: sms.filter((d) => parts(d.text) > 1).length, etaAllS: eta(cumulative), etaLastNeighbourS: eta(neighboursDone) };
}

async function main() {
  const world = await World.start();
  try {
    const config = stormConfig(world.upstream);
    const clock = new SimulatedClock('2026-09-29T00:00:00Z');
    const sender = new CountingSender();
    const { deps, store, counter } = pipeline(world, config, clock, sender);

    await runPollCycle(deps); // everything operational, every state written
    const causes = Array.from({ length: STORM.causes }, (_, i) => i);
    await world.setStatus(causes.map((i) => [i, 'major_outage']));
    clock.advance(MINUTE);
    await runPollCycle(deps); // first bad read
    clock.advance(MINUTE);
    // The confirming read, with delivery held back so it can be measured on its own.
    const held: Store = Object.assign(Object.create(store) as Store, { listPendingNotices: async () => [] });
    const confirm = await measure(() => runPollCycle({ ...deps, store: held }), { world, counter });

    const notices: Notice[] = (await store.listPendingNotices()).sort((a, b) => a.incidentId.localeCompare(b.incidentId) || a.seq - b.seq);
    const darkServices = new Set(notices.flatMap((n) => Object.entries(n.incident.services).filter(([, s]) => isDark(s.state)).map(([id]) => id)));

    // Route, render and queue: who hears, in which words, bundled and ordered, and when each SMS part goes.
    const queue = await measure(async () => {
      const messages = composeMessages(notices, deps.model, clock.now());
      const plan = planSms(
        messages.filter((m) => m.channel === 'sms').map((m) => ({ channel: 'sms' as const, text: m.words.text })),
        deps.model.config.delivery.smsMps,
        clock.now(),
      );
      return { messages, plan };
    });
    const queued = queue.result.messages.map((m) => ({ recipientId: m.recipient.id, phase: m.phase, channel: m.channel, role: m.recipient.role }));

    // Full: lease, send (counted), record.
    const full = await measure(() => deliverPending({ store, model: deps.model, log: deps.log, sender, clock, leaseMs: 60_000 }), { world, counter });
    const sent = full.result.sent;

    report({
      roster: { recipients: config.recipients.length, psaps: STORM.psaps, services: config.services.length },
      storm: { causes: STORM.causes, incidents: new Set(notices.map((n) => n.incidentId)).size, notices: notices.map((n) => `${n.phase}/${n.reason}`).reduce<Record<string, number>>((acc, k) => ((acc[k] = (acc[k] ?? 0) + 1), acc), {}), darkPsaps: darkServices.size },
      confirmCycle: { wallMs: round(confirm.wallMs), cpuMs: round(confirm.cpuMs), worldCpuMs: round(confirm.worldCpuMs ?? NaN), peakRssMb: round(confirm.peakRssMb), dynamo: confirm.dynamo, writes: writesOf(confirm.dynamo ?? {}), serviceTransitions: confirm.result.serviceTransitions.length },
      queue: {
        wallMs: round(queue.wallMs),
        cpuMs: round(queue.cpuMs),
        peakRssMb: round(queue.peakRssMb),
        messages: queued.length,
        units: queue.result.messages.reduce((n, m) => n + m.units.length, 0),
        smsEtaS: round(queue.result.plan.etaMs / 1000),
        recipients: new Set(queued.map((d) => d.recipientId)).size,
        ...perRecipient(queued),
      },
      full: {
        wallMs: round(full.wallMs),
        cpuMs: round(full.cpuMs),
        worldCpuMs: round(full.worldCpuMs ?? NaN),
        peakRssMb: round(full.peakRssMb),
        dynamo: full.dynamo,
        writes: writesOf(full.dynamo ?? {}),
        sent: sent.length,
        failed: full.result.failed.length,
        senderCalls: sender.count,
        recipients: new Set(sent.map((d) => d.recipientId)).size,
        ...perRecipient(sent),
      },
      sms: smsEta(sent.filter((d) => d.channel === 'sms')),
    });
  } finally {
    await world.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
