import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { sourceSchema, type SourceConfig } from '../../shared/config/schema.js';
import { DialtoneError } from '../../shared/domain/errors.js';
import type { Observation } from '../../shared/domain/observation.js';
import type { BodyParser, PolledKind } from '../../shared/sources/parsers.js';
import { vendorParsers } from '../../shared/sources/vendors.js';

/**
 * Shared by the vendor conformance tests: the captured payloads live beside the checkout in
 * ../shared/fixtures (CI has it, users do not), so each family skips with a message without it.
 */

export const AT = '2026-11-24T12:00:00.000Z';
export const FIXTURES = path.resolve(__dirname, '../../../shared/fixtures');

type VendorKind = keyof typeof vendorParsers;

export interface Expected {
  match?: unknown;
  status: Observation['status'];
  /** Substring of the error; an expected row without it must have no error. */
  error?: string;
  title?: string;
  url?: string;
  upstreamId?: string;
  startedAt?: string;
  updatedAt?: string;
}

/** `describe` when ../shared/fixtures/<folder> exists, else `describe.skip` with a console message. */
export function fixtureFolder(folder: string): { describe: jest.Describe; file: (name: string) => Buffer; dir: string; have: boolean } {
  const dir = path.join(FIXTURES, folder);
  const have = existsSync(dir);
  if (!have) console.warn(`${folder} conformance tests skipped: ${dir} not found (the reference folder beside the checkout; CI has it)`);
  return { describe: have ? describe : describe.skip, file: (name) => readFileSync(path.join(dir, name)), dir, have };
}

/** A source of `kind` whose components are the table's rows (id = row key), validated by the real config schema. */
export function sourceOf(kind: VendorKind, matches: Record<string, unknown>, extra: Record<string, unknown> = {}, id = 'vendor'): SourceConfig {
  return sourceSchema.parse({
    id,
    kind,
    url: 'https://status.example.com/feed',
    components: Object.entries(matches).map(([cid, match]) => ({ id: cid, name: cid, provider: 'Vendor', ...(match === undefined ? {} : { match }) })),
    ...extra,
  });
}

/** Runs the registered parser of `kind` (as read-source.ts does) and indexes the observations by component id. */
export function observe(kind: VendorKind, body: Buffer | string | object, matches: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, Observation> {
  const raw = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  const parse = vendorParsers[kind] as unknown as BodyParser<PolledKind>;
  const source = sourceOf(kind, matches, extra) as Parameters<BodyParser<PolledKind>>[1];
  return Object.fromEntries(parse(Buffer.isBuffer(raw) ? raw : Buffer.from(raw, 'utf8'), source, AT).map((o) => [o.componentId, o]));
}

/** The SOURCE.BAD_PAYLOAD error the parser throws for `body` (fails the test when it does not throw one). */
export function badPayload(kind: VendorKind, body: Buffer | string, matches: Record<string, unknown> = { x: undefined }, extra: Record<string, unknown> = {}): DialtoneError {
  try {
    observe(kind, body, matches, extra);
  } catch (err) {
    expect(err).toBeInstanceOf(DialtoneError);
    expect((err as DialtoneError).code).toBe('SOURCE.BAD_PAYLOAD');
    expect((err as DialtoneError).message).toMatch(/^source "vendor": /);
    return err as DialtoneError;
  }
  throw new Error('expected SOURCE.BAD_PAYLOAD');
}

/** Checks one observation against one table row. */
export function expectRow(o: Observation | undefined, expected: Expected, sourceId = 'vendor'): void {
  expect(o).toBeDefined();
  expect(o?.status).toBe(expected.status);
  expect(o?.observedAt).toBe(AT);
  expect(o?.sourceId).toBe(sourceId);
  if (expected.error) expect(o?.error).toContain(expected.error);
  else expect(o?.error).toBeUndefined();
  for (const key of ['title', 'url', 'upstreamId', 'startedAt', 'updatedAt'] as const) if (key in expected) expect(o?.[key]).toBe(expected[key]);
}

/**
 * One `describe` per file, one test per row: parse `body(file)` as `kind` with every row's match
 * and compare. `edge-*` files must never read operational.
 */
export function conformance(kind: VendorKind, tables: Record<string, Record<string, Expected>>, body: (file: string) => Buffer | string, extra: Record<string, unknown> = {}): void {
  describe.each(Object.entries(tables))(`${kind}: %s`, (file, table) => {
    // Read in beforeAll, not here: jest runs skipped describe bodies too, and the folder may be absent.
    let observed: Record<string, Observation> = {};
    beforeAll(() => {
      observed = observe(kind, body(file), Object.fromEntries(Object.entries(table).map(([id, e]) => [id, e.match])), extra);
    });
    test.each(Object.entries(table))('%s', (id, expected) => {
      if (file.startsWith('edge-')) expect(expected.status).not.toBe('operational');
      expectRow(observed[id], expected);
    });
  });
}
