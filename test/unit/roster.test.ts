import { ackSignature } from '../../shared/app/ack.js';
import type { Store } from '../../shared/app/ports.js';
import { mergeRoster, parseRecipient, rollCallId, rollCallLink, rollCallText } from '../../shared/app/roster.js';
import { ackCode } from '../../shared/domain/incident.js';
import type { RollCall, RosterEntry } from '../../shared/domain/records.js';
import { fitsOneSms } from '../../shared/domain/text.js';
import { testModel } from '../support/config.js';

const model = testModel();
const at = '2026-09-29T00:00:00.000Z';
const entry = (id: string, recipient?: object, removed = false): RosterEntry => ({ id, ...(recipient ? { recipient } : {}), ...(removed ? { removed } : {}), updatedAt: at });

describe('the roster merge rule: config is the base; DynamoDB adds, overrides, removes', () => {
  test.each<[string, RosterEntry[], { add?: string[]; gone?: string[]; source?: Record<string, string>; problems?: string[] }]>([
    ['no DynamoDB entries: the config as it is', [], { source: { 'ramsey-floor': 'config' } }],
    ['an entry with a new id adds a recipient', [entry('duty', { id: 'duty', name: 'Duty', role: 'ops', channels: { email: 'duty@ops.example' } })], { add: ['duty'], source: { duty: 'dynamodb' } }],
    ['an entry with a config id replaces it whole', [entry('ramsey-floor', { id: 'ramsey-floor', name: 'New', role: 'psap', psap: 'ramsey', channels: { sms: '+16515550100' } })], { source: { 'ramsey-floor': 'dynamodb (overrides config)' } }],
    ['a tombstone removes a config recipient', [entry('ops', undefined, true)], { gone: ['ops'] }],
    ['a tombstone for an id nobody has changes nothing', [entry('ghost', undefined, true)], {}],
    ['an invalid entry is left out, named, and never stops the rest', [entry('bad', { id: 'bad', name: 'B', role: 'psap', psap: 'nowhere', channels: { sms: '+10005550100' } })], { gone: ['bad'], problems: ['bad'] }],
    ['an entry keyed by one id and naming another is left out', [entry('a', { id: 'b', name: 'B', role: 'ops', channels: { email: 'b@ops.example' } })], { gone: ['a', 'b'], problems: ['a'] }],
  ])('%s', (_name, entries, expected) => {
    const view = mergeRoster(model.config.recipients, entries, model);
    const ids = view.recipients.map((r) => r.id);
    for (const id of expected.add ?? []) expect(ids).toContain(id);
    for (const id of expected.gone ?? []) expect(ids).not.toContain(id);
    for (const [id, source] of Object.entries(expected.source ?? {})) expect(view.source.get(id)).toBe(source);
    expect(view.problems.map((p) => p.id)).toEqual(expected.problems ?? []);
    expect(ids.length).toBe(new Set(ids).size);
  });

  test('override keeps one recipient per id, with the DynamoDB fields', () => {
    const view = mergeRoster(model.config.recipients, [entry('ramsey-floor', { id: 'ramsey-floor', name: 'New', role: 'psap', psap: 'ramsey', channels: { sms: '(651) 555-0100' }, priority: 3 })], model);
    expect(view.recipients.filter((r) => r.id === 'ramsey-floor')).toEqual([expect.objectContaining({ name: 'New', priority: 3, channels: { sms: '+16515550100' } })]);
  });
});

describe('a recipient at the boundary', () => {
  test.each<[string, object, string[]]>([
    ['a US number as written becomes E.164', { id: 'x', name: 'X', role: 'ops', channels: { sms: '(612) 555-0100' } }, []],
    ['an impossible number, with libphonenumber-js\'s reason', { id: 'x', name: 'X', role: 'ops', channels: { sms: '+1 000 555 0100' } }, ['channels.sms: not a valid +1 phone number; write it in E.164, e.g. +16125550100']],
    ['no channel', { id: 'x', name: 'X', role: 'ops', channels: {} }, ['channels: a recipient needs at least one channel (sms or email)']],
    ['a psap recipient without its PSAP', { id: 'x', name: 'X', role: 'psap', channels: { email: 'x@psap.example' } }, ['psap: a psap recipient names the PSAP it works at']],
    ['a county manager without a jurisdiction', { id: 'x', name: 'X', role: 'county-manager', channels: { email: 'x@county.example' } }, ['jurisdictions: a county manager needs at least one county FIPS or state']],
    ['a bad minimum severity', { id: 'x', name: 'X', role: 'ops', channels: { email: 'x@ops.example' }, minSeverity: 'huge' }, ['minSeverity: Invalid option: expected one of "minor"|"major"|"critical"']],
  ])('%s', (_name, raw, problems) => {
    const r = parseRecipient(raw, model);
    if (problems.length === 0) expect(r).toMatchObject({ ok: true, recipient: { channels: { sms: '+16125550100' } } });
    else expect(r.ok ? [] : r.problems.map((p) => `${p.path}: ${p.message}`)).toEqual(problems);
  });
});

describe('roll calls', () => {
  const id = rollCallId('ramsey-floor', new Date(at));

  test('an id of its own, whose last four hex digits are the ack code; one SMS segment', () => {
    expect(id).toMatch(/^RC-20260929T000000Z-[0-9a-f]{6}$/);
    const sms = rollCallText(model.recipients[0]!, id, 'sms').text;
    expect(sms).toContain(`Reply ACK ${ackCode(id)} to confirm.`);
    expect(fitsOneSms(sms)).toBe(true);
    expect(rollCallText(model.recipients[0]!, id, 'email', 'https://ack.example/x').text).toContain('or open: https://ack.example/x');
  });

  test('a signed link confirms the roll call; a bad signature reads nothing', async () => {
    const confirmed: string[] = [];
    const store = {
      confirmRollCall: async (recipientId: string, rc: string, via: NonNullable<RollCall['via']>) => (confirmed.push(`${recipientId}/${rc}/${via}`), 'confirmed' as const),
    } as unknown as Store;
    const signature = ackSignature('secret', id, 'ramsey-floor');
    expect(await rollCallLink(store, 'secret', { id, recipientId: 'ramsey-floor', signature }, new Date(at))).toEqual({ ok: true, recipientId: 'ramsey-floor', rollCallId: id, duplicate: false });
    expect(await rollCallLink(store, 'secret', { id, recipientId: 'ramsey-floor', signature: signature.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')) }, new Date(at))).toMatchObject({ ok: false, status: 401 });
    expect(confirmed).toEqual([`ramsey-floor/${id}/link`]);
  });
});
