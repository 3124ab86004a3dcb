import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SNSClient } from '@aws-sdk/client-sns';
import { Option, type Command } from 'commander';
import { consoleLog } from '../adapters/console-log.js';
import { AwsDeliveryChannels } from '../adapters/delivery-channels.js';
import { LocalDeliveryLog } from '../adapters/local-sender.js';
import type { DeliveryChannels, Store } from '../app/ports.js';
import { priorityOf } from '../app/deliver.js';
import { neverConfirmed, parseRecipient, readRoster, rollCallByOperator, rollCallReply, sendRollCall, type RosterView } from '../app/roster.js';
import { readDeliveryEnv } from '../config/delivery-env.js';
import type { RecipientConfig } from '../config/schema.js';
import { systemClock, type Clock } from '../domain/clock.js';
import { maskEmail, maskPhone } from '../domain/mask.js';
import { buildModel, type Model } from '../domain/model.js';
import type { RollCall } from '../domain/records.js';
import { loadModelConfig, openStore, type StoreOptions } from './store-access.js';

/**
 * `dialtone roster add|list|remove|verify`: the recipients, kept in the monitoring config plus
 * DynamoDB (merge rule: shared/app/roster.ts). Locally the roster lives in the embedded store
 * under --data-dir; with --aws in the DynamoDB table (--table, or TABLE_NAME) and a roll call goes
 * out through SNS / SES with the default credential chain (SES_FROM_ADDRESS for email).
 *
 *   roster add ID --name N --role R [--psap P] [--fips 27053,27123] [--states MN] [--sms NUM]
 *                 [--email ADDR] [--priority N] [--min-severity S] [--hear-at H]
 *   roster list [--json]
 *   roster remove ID
 *   roster verify ID [--channel sms|email]             send a roll call (test message, own ack code)
 *   roster verify ID --reply "ACK 1A2B" [--from NUM]   record the recipient's reply
 *   roster verify ID --confirm RC-…                    record a confirmation by hand (a phone call)
 *   roster verify --report [--json]                    who on the roster never confirmed a roll call
 *
 * Phone numbers are parsed with libphonenumber-js and stored in E.164; output masks every address.
 */

export interface RosterCommandEnv {
  setExitCode(code: number): void;
  err?: (line: string) => void;
  clock?: Clock;
  /** Injected AWS clients (tests); otherwise the default credential chain. */
  aws?: { dynamo?: DynamoDBClient; sns?: SNSClient; ses?: SESv2Client };
}

interface Common {
  config: string;
  dataDir: string;
  aws?: boolean;
  table?: string;
}

const list = (v: string, prev: string[] = []) => [...prev, ...v.split(',').map((s) => s.trim()).filter(Boolean)];

function masked(r: RecipientConfig): { sms?: string; email?: string } {
  return { ...(r.channels.sms ? { sms: maskPhone(r.channels.sms) } : {}), ...(r.channels.email ? { email: maskEmail(r.channels.email) } : {}) };
}

function verification(rc: RollCall | undefined): string {
  if (!rc) return 'never verified';
  if (rc.confirmedAt) return `confirmed ${rc.confirmedAt} (${rc.via ?? 'reply'})`;
  return `roll call ${rc.id} sent ${rc.sentAt}, no reply yet${rc.lastConfirmedAt ? ` (an earlier one confirmed ${rc.lastConfirmedAt})` : ''}`;
}

export function registerRosterCommand(program: Command, out: (line: string) => void, env: RosterCommandEnv): Command {
  const err = env.err ?? ((line: string) => process.stderr.write(`${line}\n`));
  const clock = env.clock ?? systemClock;
  const roster = program.command('roster').description('the recipients: monitoring config plus DynamoDB (add, list, remove, verify with a roll call)');

  const common = (c: Command) =>
    c
      .requiredOption('--config <file>', 'the monitoring config (or a demo scenario): the base roster and the PSAPs')
      .option('--data-dir <dir>', 'the embedded store (local)', '.dialtone/data')
      .option('--aws', 'use the DynamoDB table (and SNS / SES for verify) with the default AWS credential chain')
      .option('--table <name>', 'DynamoDB table for --aws (default: TABLE_NAME from the environment)');

  /** Loads the config and opens the store; reports and sets exit 2 on failure. */
  async function open(o: Common, create = false): Promise<{ model: Model; store: Store; close: () => Promise<void>; where: string } | undefined> {
    const loaded = loadModelConfig(o.config);
    if (!loaded.ok) {
      err(`${o.config}: ${loaded.problems.length} problem(s)`);
      for (const p of loaded.problems) err(`  ${p.path}: ${p.message}`);
      env.setExitCode(2);
      return undefined;
    }
    const storeOptions: StoreOptions = { dataDir: o.dataDir, create, ...(o.aws ? { aws: true } : {}), ...(o.table ? { table: o.table } : {}) };
    const opened = await openStore(storeOptions, env.aws?.dynamo ? { dynamo: env.aws.dynamo } : {});
    if (!opened.ok) {
      err(`dialtone roster: ${opened.error}`);
      env.setExitCode(2);
      return undefined;
    }
    return { model: buildModel(loaded.config), store: opened.store, close: opened.close, where: opened.where };
  }

  common(roster.command('add'))
    .description('add a recipient to the DynamoDB roster (or override the config\'s recipient with the same id)')
    .argument('<id>')
    .requiredOption('--name <name>', 'who this is, for messages and reports')
    .addOption(new Option('--role <role>', 'audience').choices(['psap', 'county-manager', 'fcc-liaison', 'ops']).makeOptionMandatory())
    .option('--psap <id>', 'role psap: the PSAP this recipient works at')
    .option('--fips <codes>', 'county FIPS codes, comma-separated', list)
    .option('--states <codes>', 'state postal codes, comma-separated', list)
    .option('--sms <number>', 'mobile number (E.164, or a US number as written)')
    .option('--email <address>', 'email address')
    .option('--priority <n>', 'send order, lower first (default by role: psap 10, county-manager 20, fcc-liaison 30, ops 40)', Number)
    .addOption(new Option('--min-severity <severity>', 'hear only incidents at least this severe').choices(['minor', 'major', 'critical']))
    .addOption(new Option('--hear-at <when>', 'hear incidents while suspected, or once confirmed').choices(['suspected', 'confirmed']))
    .action(async (id: string, o: Common & { name: string; role: string; psap?: string; fips?: string[]; states?: string[]; sms?: string; email?: string; priority?: number; minSeverity?: string; hearAt?: string }) => {
      const ctx = await open(o, true);
      if (!ctx) return;
      try {
        const raw = {
          id,
          name: o.name,
          role: o.role,
          ...(o.psap !== undefined ? { psap: o.psap } : {}),
          jurisdictions: { fips: o.fips ?? [], states: (o.states ?? []).map((s) => s.toUpperCase()) },
          channels: { ...(o.sms !== undefined ? { sms: o.sms } : {}), ...(o.email !== undefined ? { email: o.email } : {}) },
          ...(o.priority !== undefined ? { priority: o.priority } : {}),
          ...(o.minSeverity !== undefined ? { minSeverity: o.minSeverity } : {}),
          ...(o.hearAt !== undefined ? { hearAt: o.hearAt } : {}),
        };
        const parsed = parseRecipient(raw, ctx.model);
        if (!parsed.ok) {
          err(`dialtone roster add ${id}: ${parsed.problems.length} problem(s)`);
          for (const p of parsed.problems) err(`  ${p.path}: ${p.message}`);
          env.setExitCode(2);
          return;
        }
        await ctx.store.putRosterEntry({ id, recipient: parsed.recipient, updatedAt: clock.now().toISOString() });
        const r = parsed.recipient;
        const overrides = ctx.model.config.recipients.some((c) => c.id === id);
        const m = masked(r);
        out(
          `roster: ${overrides ? 'overrode the config\'s' : 'added'} ${id} (${r.role}${m.sms ? `, sms ${m.sms}` : ''}${m.email ? `, email ${m.email}` : ''}, priority ${priorityOf(r)}) in ${ctx.where}`,
        );
      } finally {
        await ctx.close();
      }
    });

  common(roster.command('list'))
    .description('the merged roster: config plus DynamoDB, with where each recipient comes from and its last roll call (addresses masked)')
    .option('--json', 'JSON instead of a table')
    .action(async (o: Common & { json?: boolean }) => {
      const ctx = await open(o);
      if (!ctx) return;
      try {
        const view = await readRoster(ctx.model, ctx.store);
        const rollCalls = new Map((await ctx.store.listRollCalls()).map((rc) => [rc.recipientId, rc]));
        printRoster(view, rollCalls, ctx.model, o.json === true, out);
      } finally {
        await ctx.close();
      }
    });

  common(roster.command('remove'))
    .description('take a recipient off the roster (a tombstone in DynamoDB when the config lists it)')
    .argument('<id>')
    .action(async (id: string, o: Common) => {
      const ctx = await open(o);
      if (!ctx) return;
      try {
        const deleted = await ctx.store.deleteRosterEntry(id);
        if (ctx.model.config.recipients.some((r) => r.id === id)) {
          await ctx.store.putRosterEntry({ id, removed: true, updatedAt: clock.now().toISOString() });
          out(`roster: removed ${id} (the config lists it, so a tombstone in ${ctx.where} hides it; \`roster add ${id}\` brings it back)`);
        } else if (deleted) out(`roster: removed ${id} from ${ctx.where}`);
        else {
          err(`dialtone roster remove: no recipient "${id}" in the config or ${ctx.where}`);
          env.setExitCode(2);
        }
      } finally {
        await ctx.close();
      }
    });

  common(roster.command('verify'))
    .description('send a roll call (a test message with its own ack code) and record the reply or ack; --report: who never confirmed one')
    .argument('[id]')
    .option('--report', 'list the roster recipients (config plus DynamoDB) that never confirmed a roll call')
    .option('--json', 'with --report: JSON instead of lines')
    .addOption(new Option('--channel <channel>', 'only this channel').choices(['sms', 'email']))
    .option('--reply <text>', 'record a reply to the roll call, e.g. "ACK 1A2B" (from the recipient\'s SMS number unless --from)')
    .option('--from <number>', 'the number the reply came from')
    .option('--confirm <rollCallId>', 'record a confirmation by hand (e.g. the recipient called back)')
    .option('--out <file>', 'local delivery log the roll call is written to', '.dialtone/deliveries.jsonl')
    .action(async (id: string | undefined, o: Common & { channel?: 'sms' | 'email'; reply?: string; from?: string; confirm?: string; out: string; report?: boolean; json?: boolean }) => {
      if (o.report === true ? id !== undefined : id === undefined) {
        err(o.report ? 'dialtone roster verify --report takes no recipient id' : 'dialtone roster verify: name the recipient (or give --report)');
        env.setExitCode(2);
        return;
      }
      const ctx = await open(o);
      if (!ctx) return;
      try {
        const view = await readRoster(ctx.model, ctx.store);
        if (o.report) {
          printUnconfirmed(view, await ctx.store.listRollCalls(), o.json === true, out);
          return;
        }
        if (id === undefined) return;
        const recipient = view.recipients.find((r) => r.id === id);
        if (!recipient) {
          err(`dialtone roster verify: no recipient "${id}" on the roster`);
          env.setExitCode(2);
          return;
        }
        if (o.reply !== undefined || o.confirm !== undefined) {
          const from = o.from ?? recipient.channels.sms;
          const r =
            o.confirm !== undefined
              ? await rollCallByOperator(ctx.store, id, o.confirm, clock.now())
              : from === undefined
                ? ({ ok: false, status: 400, error: `${id} has no SMS number: give --from` } as const)
                : await rollCallReply(ctx.store, view.recipients, { from, text: o.reply! }, clock.now());
          if (!r.ok) {
            err(`dialtone roster verify: ${r.error}`);
            env.setExitCode(2);
            return;
          }
          out(r.duplicate ? `${r.recipientId} had already confirmed roll call ${r.rollCallId}` : `${r.recipientId} confirmed roll call ${r.rollCallId} at ${clock.now().toISOString()}`);
          return;
        }
        const sender = o.aws ? awsSender(ctx.model, env) : new LocalDeliveryLog({ clock, file: o.out, print: out, publicContacts: ctx.model.publicContacts });
        const report = await sendRollCall(
          {
            store: ctx.store,
            sender,
            clock,
            log: consoleLog('error', err),
            ...(ctx.model.config.acks.linkBase ? { linkBase: ctx.model.config.acks.linkBase } : {}),
            ...(process.env.DIALTONE_ACK_SECRET ? { ackSecret: process.env.DIALTONE_ACK_SECRET } : {}),
          },
          recipient,
          o.channel,
        );
        out(`roll call ${report.rollCall.id} (code ${report.rollCall.code}) to ${id}:`);
        for (const s of report.sends)
          out(`  ${s.channel.padEnd(5)} ${s.address}  ${s.outcome}${s.messageId ? ` (message ${s.messageId})` : ''}${s.error ? `: ${s.error}` : ''}`);
        if (report.sends.length === 0) out('  no channel to send on');
        out(`the recipient confirms by replying "ACK ${report.rollCall.code}"; record it with: dialtone roster verify ${id} --reply "ACK ${report.rollCall.code}"`);
        if (report.sends.some((s) => s.outcome !== 'sent')) env.setExitCode(1);
      } finally {
        await ctx.close();
      }
    });

  return roster;
}

function awsSender(model: Model, env: RosterCommandEnv): DeliveryChannels {
  const deliveryEnv = readDeliveryEnv(process.env);
  const from = deliveryEnv.SES_FROM_ADDRESS ?? deliveryEnv.EMAIL_FROM;
  return new AwsDeliveryChannels({
    sns: env.aws?.sns ?? new SNSClient({}),
    ...(from ? { ses: env.aws?.ses ?? new SESv2Client({}) } : {}),
    ...(deliveryEnv.EVENT_BUS_NAME ? { eventBridge: new EventBridgeClient({}) } : {}),
    env: deliveryEnv,
    directory: model,
  });
}

function printUnconfirmed(view: RosterView, rollCalls: readonly RollCall[], json: boolean, out: (line: string) => void): void {
  const rows = neverConfirmed(view.recipients, rollCalls).map(({ recipient: r, rollCall }) => ({
    id: r.id,
    name: r.name,
    role: r.role,
    source: view.source.get(r.id) ?? 'config',
    ...masked(r),
    ...(rollCall ? { rollCall: { id: rollCall.id, code: rollCall.code, sentAt: rollCall.sentAt, channels: rollCall.channels } } : {}),
  }));
  if (json) {
    out(JSON.stringify({ roster: view.recipients.length, neverConfirmed: rows }, null, 2));
    return;
  }
  out(`roll calls: ${rows.length} of ${view.recipients.length} roster recipient(s) never confirmed one`);
  for (const r of rows)
    out(`  ${r.id}  ${r.role}  ${r.source}  ${r.rollCall ? `roll call ${r.rollCall.id} sent ${r.rollCall.sentAt} (${r.rollCall.channels.join(', ') || 'no channel'}), no reply` : 'no roll call sent'}`);
  if (rows.length > 0) out('send one with: dialtone roster verify ID');
}

function printRoster(view: RosterView, rollCalls: ReadonlyMap<string, RollCall>, model: Model, json: boolean, out: (line: string) => void): void {
  const rows = view.recipients
    .map((r) => ({
      id: r.id,
      name: r.name,
      role: r.role,
      ...(r.psap ? { psap: r.psap } : {}),
      ...masked(r),
      priority: priorityOf(r),
      minSeverity: r.minSeverity ?? 'minor',
      hearAt: r.hearAt ?? model.config.corroboration.hearAt[r.role],
      source: view.source.get(r.id) ?? 'config',
      verified: verification(rollCalls.get(r.id)),
    }))
    .sort((a, b) => a.priority - b.priority || a.id.localeCompare(b.id));
  if (json) {
    out(JSON.stringify({ recipients: rows, removed: view.removed, problems: view.problems }, null, 2));
    return;
  }
  const count = (s: string) => rows.filter((r) => r.source === s).length;
  out(`roster: ${rows.length} recipient(s): ${count('config')} from the config, ${count('dynamodb')} added and ${count('dynamodb (overrides config)')} overridden in DynamoDB, ${view.removed.length} removed`);
  const header = { id: 'id', role: 'role', sms: 'sms', email: 'email', priority: 'prio', minSeverity: 'min', hearAt: 'hear at', source: 'source', verified: 'roll call' };
  const table = [header, ...rows.map((r) => ({ ...r, sms: r.sms ?? '-', email: r.email ?? '-', priority: String(r.priority) }))];
  const cols = ['id', 'role', 'sms', 'email', 'priority', 'minSeverity', 'hearAt', 'source'] as const;
  const width = Object.fromEntries(cols.map((c) => [c, Math.max(...table.map((r) => String(r[c]).length))]));
  for (const r of table) out(`  ${cols.map((c) => String(r[c]).padEnd(width[c]!)).join('  ')}  ${r.verified}`);
  for (const id of view.removed) out(`  removed: ${id} (tombstone in DynamoDB)`);
  for (const p of view.problems) out(`  left out: ${p.id}: ${p.message}`);
}
