import { createHash } from 'node:crypto';
import * as z from 'zod';
import type { SourceOf } from '../../config/schema.js';
import type { Status } from '../../domain/status.js';
import { badPush, firstIssue, type ComponentUpdate, type PushEvent } from './types.js';

/**
 * AWS Health events delivered by EventBridge. Accepted shapes:
 * the EventBridge envelope (`detail` an object), a PutEvents request entry or an array of them
 * (`Source`/`DetailType`/`Detail` capitalised, `Detail` a JSON string), and a bare detail object
 * (as forwarded by an organisation-level rule). Only `source: aws.health` unless the source has
 * `acceptTestEvents`. Category and status values are compared case-insensitively.
 *
 * Status: `statusCode: closed` → operational (the event is closed); scheduledChange (and the
 * observed drift `plannedChange`) → maintenance; accountNotification, investigation → degraded;
 * issue → partial_outage, or major_outage when an affected entity (a watched one, when the
 * component lists `entities`) is IMPAIRED; a missing or unrecognised category or status code →
 * unknown with an error naming the field. A missing statusCode (older events) reads as open.
 *
 * A component's standing status is the worst of its open events, so a closed event or a milder
 * one never hides another event that is still open. Dedupe key: eventArn + communicationId
 * (+ account, + page of a paged event); without a communicationId, a hash of the detail.
 */

type Source = SourceOf<'aws-health'>;
/** Config validation requires `match` on aws-health components; a component without one matches nothing. */
interface ComponentConfig {
  id: string;
  match?: { service: string; region?: string | undefined; entities?: string[] | undefined } | undefined;
}

const text = z.string().nullish();

const detailSchema = z.object({
  eventArn: z.string().min(1),
  service: z.string().min(1),
  eventTypeCode: text,
  eventTypeCategory: text,
  eventScopeCode: text,
  communicationId: text,
  statusCode: text,
  eventRegion: text,
  startTime: text,
  endTime: text,
  lastUpdatedTime: text,
  eventDescription: z.array(z.object({ language: text, latestDescription: text })).nullish(),
  affectedEntities: z.array(z.object({ entityValue: text, status: text, statusCode: text })).nullish(),
  affectedAccount: text,
  page: z.union([z.string(), z.number()]).nullish(),
});
type Detail = z.infer<typeof detailSchema>;

const CATEGORY: Record<string, Status> = {
  issue: 'partial_outage',
  accountnotification: 'degraded',
  investigation: 'degraded',
  scheduledchange: 'maintenance',
  plannedchange: 'maintenance',
};
const OPEN_CODES = new Set(['open', 'upcoming']);

interface Envelope {
  /** Where the detail sits, for error fields: "detail", "Detail", "[0].Detail" or "" (a bare detail). */
  where: string;
  source?: string;
  account?: string;
  detail: unknown;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function envelopesOf(json: unknown, sourceId: string): Envelope[] {
  if (Array.isArray(json)) {
    if (json.length === 0) throw badPush(sourceId, '(body)', 'an empty array holds no AWS Health event');
    return json.flatMap((entry, i) => envelopesOf(entry, sourceId).map((e) => ({ ...e, where: `[${i}]${e.where ? `.${e.where}` : ''}` })));
  }
  if (!isObject(json)) throw badPush(sourceId, '(body)', 'not an AWS Health event (expected a JSON object or an array of PutEvents entries)');
  const key = 'detail' in json ? 'detail' : 'Detail' in json ? 'Detail' : undefined;
  if (key === undefined) {
    if ('eventArn' in json) return [{ where: '', detail: json }];
    throw badPush(sourceId, 'detail', 'not an AWS Health event: expected an EventBridge envelope with detail, a PutEvents entry with Detail, or a detail object with eventArn');
  }
  let detail = json[key];
  if (typeof detail === 'string') {
    try {
      detail = JSON.parse(detail);
    } catch (err) {
      throw badPush(sourceId, key, `is a string but not JSON (${(err as Error).message})`);
    }
  }
  const source = json.source ?? json.Source;
  const account = json.account ?? json.Account;
  return [{ where: key, detail, ...(typeof source === 'string' ? { source } : {}), ...(typeof account === 'string' ? { account } : {}) }];
}

/** The affected region: eventRegion, else the region in the event ARN (arn:aws:health:<region>::event/…). */
function regionOf(d: Detail): string | undefined {
  if (d.eventRegion) return d.eventRegion;
  const m = /^arn:aws:health:([^:]*):/.exec(d.eventArn);
  return m?.[1] || undefined;
}

function matches(c: ComponentConfig, d: Detail): boolean {
  if (!c.match) return false;
  if (c.match.service.toLowerCase() !== d.service.toLowerCase()) return false;
  const wanted = c.match.region;
  if (wanted === undefined) return true;
  const region = regionOf(d)?.toLowerCase();
  return region === 'global' || region === wanted.toLowerCase();
}

function statusFor(c: ComponentConfig, d: Detail, field: (f: string) => string, sourceId: string): Pick<ComponentUpdate, 'status' | 'error'> {
  const code = d.statusCode?.trim().toLowerCase() || undefined;
  if (code === 'closed') return { status: 'operational' };
  if (code !== undefined && !OPEN_CODES.has(code))
    return { status: 'unknown', error: `source "${sourceId}": ${field('statusCode')} "${d.statusCode}" is not open, upcoming or closed` };
  if (!d.eventTypeCategory) return { status: 'unknown', error: `source "${sourceId}": ${field('eventTypeCategory')} is missing` };
  const status = CATEGORY[d.eventTypeCategory.trim().toLowerCase()];
  if (!status)
    return {
      status: 'unknown',
      error: `source "${sourceId}": ${field('eventTypeCategory')} "${d.eventTypeCategory}" is not an AWS Health category (issue, accountNotification, scheduledChange, investigation)`,
    };
  if (status !== 'partial_outage') return { status };
  if (code === 'upcoming') return { status: 'degraded' };
  const watched = c.match?.entities;
  const impaired = (d.affectedEntities ?? []).some(
    (e) => (e.status ?? e.statusCode ?? '').toUpperCase() === 'IMPAIRED' && (watched === undefined || (e.entityValue != null && watched.includes(e.entityValue))),
  );
  return { status: impaired ? 'major_outage' : 'partial_outage' };
}

function dedupeKey(d: Detail, account: string | undefined): string {
  const communication = d.communicationId || `sha256:${createHash('sha256').update(JSON.stringify(d)).digest('hex').slice(0, 32)}`;
  return `aws-health:${d.eventArn}#${communication}#${account ?? d.affectedAccount ?? ''}#p${d.page ?? 1}`;
}

/** One PushEvent per AWS Health event in the body; throws a 400-style error naming the field. */
export function parseAwsHealth(json: unknown, source: Source): PushEvent[] {
  return envelopesOf(json, source.id).map((envelope) => {
    const field = (f: string) => (envelope.where ? `${envelope.where}.${f}` : f);
    if (envelope.source !== undefined && envelope.source !== 'aws.health' && !source.acceptTestEvents) {
      const at = envelope.where.replace(/\.?(detail|Detail)$/, '');
      throw badPush(source.id, `${at ? `${at}.` : ''}source`, `"${envelope.source}" is not aws.health (a test or replayed event; set acceptTestEvents: true to accept it)`);
    }
    const parsed = detailSchema.safeParse(envelope.detail);
    if (!parsed.success) {
      const { field: f, message } = firstIssue(parsed.error, envelope.where);
      throw badPush(source.id, f, message);
    }
    const d = parsed.data;
    const account = envelope.account ?? d.affectedAccount ?? undefined;
    if (source.accounts && account !== undefined && !source.accounts.includes(account)) {
      return { key: dedupeKey(d, account), updates: [], ignored: `account ${account} is not one of the watched accounts` };
    }
    const description = d.eventDescription?.find((x) => x.latestDescription)?.latestDescription?.trim();
    const title = [d.eventTypeCode, description?.slice(0, 200)].filter(Boolean).join(': ') || d.eventArn;
    const updates: ComponentUpdate[] = source.components
      .filter((c) => matches(c, d))
      .map((c) => ({ componentId: c.id, ...statusFor(c, d, field, source.id), title, upstreamId: d.eventArn, item: d.eventArn }));
    return {
      key: dedupeKey(d, account),
      updates,
      ...(updates.length === 0 ? { ignored: `no configured component matches service ${d.service} in ${regionOf(d) ?? 'an unknown region'}` } : {}),
    };
  });
}
