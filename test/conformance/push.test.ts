import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ingestPush, type PushResponse } from '../../shared/app/ingest.js';
import type { Status } from '../../shared/domain/status.js';
import { startTestPipeline } from '../support/pipeline.js';
import { FIXTURES, haveFixtures, pushConfig, TOKENS } from '../support/push.js';

/**
 * Every captured push payload beside the checkout (../shared/fixtures, see PROVENANCE.md) through
 * POST /push/{sourceId} on the embedded store, against the components of test/support/push.ts.
 * Each file in the folders must have a row here. `edge-*` files must end in a clear error (4xx
 * naming a field) or `unknown`: never a crash, never operational.
 */

interface Expected {
  status: 202 | 400;
  /** componentId → what the push said about it (components not listed: not concerned). */
  observed?: Record<string, Status>;
  /** For a 400: the field named. */
  field?: string;
}

const TABLE: Record<string, { sourceId: string; token: string; rows: Record<string, Expected> }> = {
  'statuspage-webhook': {
    sourceId: 'vendor-hook',
    token: TOKENS.hook,
    rows: {
      // component_update operational → under_maintenance; page indicator "maintenance" (outside none/minor/major/critical)
      'component-update-under-maintenance.json': { status: 202, observed: { 'hook-db': 'maintenance', 'hook-page': 'maintenance' } },
      // incident identified, impact none: the affected component stays operational
      'incident-created-identified.json': { status: 202, observed: { 'hook-portal': 'operational', 'hook-page': 'operational' } },
      'incident-update-resolved.json': { status: 202, observed: { 'hook-portal': 'operational', 'hook-page': 'operational' } },
    },
  },
  'aws-health-eventbridge': {
    sourceId: 'aws',
    token: TOKENS.aws,
    rows: {
      // older shape: no statusCode (read as open), region only in the ARN (us-west-2)
      'account-specific-ec2-instance-store-degraded-issue.json': { status: 202, observed: { 'aws-ec2-usw2': 'partial_outage' } },
      // lower-case "accountnotification", upcoming
      'account-specific-ec2-maintenance-upcoming.json': { status: 202, observed: { 'aws-ec2-usw2': 'degraded' } },
      // eventTypeCategory "category": unknown, with the field named
      'edge-malformed-test-event-bad-category.json': { status: 202, observed: { 'aws-bad': 'unknown' } },
      // PutEvents entry, Detail as a string, Source com.samplevent: refused unless acceptTestEvents
      'edge-putevents-entry-detail-as-string.json': { status: 400, field: '[0].source' },
      // detail only; "plannedChange" (observed drift of scheduledChange), endTime ""
      'org-detail-only-eks-lifecycle-upcoming-entity-status.json': { status: 202, observed: { 'aws-eks': 'maintenance' } },
      // detail only; closed; eventRegion global matches the us-east-1 component
      'org-detail-only-public-issue-closed.json': { status: 202, observed: { 'aws-fake': 'operational' } },
      'public-ec2-operational-issue-open.json': { status: 202, observed: { 'aws-ec2-use1': 'partial_outage' } },
    },
  },
};

for (const [folder, { sourceId, token, rows }] of Object.entries(TABLE)) {
  const present = haveFixtures(folder);
  if (!present) console.warn(`push conformance for ${folder} skipped: ${path.join(FIXTURES, folder)} not found (the reference folder beside the checkout)`);
  const describeFixtures = present ? describe : describe.skip;

  describeFixtures(`push conformance: ${folder} → ${sourceId}`, () => {
    test('every file in the folder has a row in the table', () => {
      expect(readdirSync(path.join(FIXTURES, folder)).filter((f) => f.endsWith('.json')).sort()).toEqual(Object.keys(rows).sort());
    });

    test.each(Object.entries(rows))('%s', async (file, expected) => {
      const p = await startTestPipeline(pushConfig());
      try {
        const body = readFileSync(path.join(FIXTURES, folder, file), 'utf8');
        let r: PushResponse;
        try {
          r = await ingestPush(p.deps, sourceId, { headers: { authorization: `Bearer ${token}` }, body, receivedAt: p.clock.now() });
        } catch (err) {
          throw new Error(`${file}: ingest threw instead of answering: ${(err as Error).message}`, { cause: err });
        }
        expect(r.status).toBe(expected.status);

        if (!r.body.ok) {
          expect(r.body.error).toMatch(new RegExp(`^source "${sourceId}": `));
          expect(r.body.field).toBe(expected.field);
          return;
        }
        // What the push said per component: the standing status, or a one-off unknown read.
        const state = (await p.store.getSourceStates([sourceId])).get(sourceId);
        const observed: Record<string, Status> = Object.fromEntries(Object.entries(state?.push?.standing ?? {}).map(([c, s]) => [c, s.status]));
        const components = await p.store.getComponentStates(p.deps.model.config.sources.find((s) => s.id === sourceId)!.components.map((c) => c.id));
        for (const [id, c] of components) if (c.candidate === 'unknown') observed[id] = 'unknown';
        expect(observed).toEqual(expected.observed);
        expect(r.body.observations).toBe(Object.keys(expected.observed ?? {}).length);
        if (Object.values(observed).includes('unknown')) expect(r.body.unknown?.join('\n')).toMatch(/eventTypeCategory|status/);

        if (file.startsWith('edge-')) {
          // A clear unknown: the error names the field.
          expect(Object.values(observed).every((s) => s === 'unknown')).toBe(true);
          expect(Object.values(observed)).not.toContain('operational');
        }
      } finally {
        await p.stop();
      }
    });

    if (folder === 'aws-health-eventbridge')
      test('edge-putevents-entry-detail-as-string.json in test mode (acceptTestEvents): the Detail string is read', async () => {
        const p = await startTestPipeline(pushConfig({ awsAcceptTestEvents: true }));
        try {
          const body = readFileSync(path.join(FIXTURES, folder, 'edge-putevents-entry-detail-as-string.json'), 'utf8');
          const r = await ingestPush(p.deps, sourceId, { headers: { authorization: `Bearer ${token}` }, body, receivedAt: p.clock.now() });
          expect(r).toMatchObject({ status: 202, body: { observations: 1 } });
          expect((await p.store.getSourceStates([sourceId])).get(sourceId)?.push?.standing['aws-ecs']?.status).toBe('maintenance'); // scheduledChange
        } finally {
          await p.stop();
        }
      });
  });
}
