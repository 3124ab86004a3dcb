import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { buildApp, type BuildOptions, type BuiltApp } from '../../infra/app';

// The CLI sets these when it runs the app with credentials; the tests synthesize region-agnostic
// stacks (as `npm run synth` offline does) unless a test names its regions.
delete process.env.CDK_DEFAULT_REGION;
delete process.env.CDK_DEFAULT_ACCOUNT;

export const fixture = (name: string) => path.join(__dirname, 'fixtures', name);

// Every App gets an outdir under one temp dir, removed at the end (App() alone leaves one per call).
const outRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'dialtone-infra-test-'));
let outCount = 0;
export const appProps = (context: Record<string, unknown>) => ({ context, outdir: path.join(outRoot, String(outCount++)) });
export const cleanUp = () => fs.rmSync(outRoot, { recursive: true, force: true });

export type Resource = { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string; UpdateReplacePolicy?: string; DependsOn?: unknown };
export type Statement = { Sid?: string; Effect: string; Action: string | string[]; Resource: unknown; Condition?: Record<string, unknown> };

export const asArray = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);

export interface Synth {
  built: BuiltApp;
  assemblyDir: string;
  templates: Map<string, Template>;
  ms: number;
}

/** Builds (cdk-nag on, as `cdk synth` runs it) and synthesizes once; a nag finding fails the synth. */
export function synth(context: Record<string, unknown>, build: BuildOptions = {}): Synth {
  const started = Date.now();
  const built = buildApp(appProps(context), build);
  const assembly = built.app.synth();
  const templates = new Map<string, Template>();
  for (const s of [...built.stateStacks, ...built.stacks]) templates.set(s.stackName, Template.fromStack(s));
  return { built, assemblyDir: assembly.directory, templates, ms: Date.now() - started };
}

export function resourcesOf(template: Template, type: string): Array<[string, Resource]> {
  return Object.entries(template.findResources(type)) as Array<[string, Resource]>;
}

export function only(template: Template, type: string, props?: Record<string, unknown>): [string, Resource] {
  const found = Object.entries(template.findResources(type, props ? { Properties: props } : undefined));
  expect(found).toHaveLength(1);
  return found[0] as [string, Resource];
}

/** The logical id of a construct's CloudFormation resource. */
export function logicalId(c: IConstruct): string {
  return Stack.of(c).resolve(Stack.of(c).getLogicalId(c.node.defaultChild as never)) as string;
}

/** Every statement of the policies attached to a function's execution role. */
export function statementsOf(template: Template, functionLogicalId: string): Statement[] {
  const fn = template.findResources('AWS::Lambda::Function')[functionLogicalId]!;
  const roleId = (fn.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  const role = template.findResources('AWS::IAM::Role')[roleId]!;
  expect(role.Properties.ManagedPolicyArns).toBeUndefined();
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => (p.Properties.Roles as unknown[]).some((r) => JSON.stringify(r) === JSON.stringify({ Ref: roleId })))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
}

export const actionsOf = (statements: Statement[]) => [...new Set(statements.flatMap((s) => asArray(s.Action)))].sort();

/** cdk-nag AwsSolutions over the whole app: every unacknowledged finding, errors and warnings. */
export function nagFindings(built: BuiltApp): Array<{ rule: string; severity: string; paths: string[] }> {
  return new AwsSolutionsChecks()
    .validateScope(built.app)
    .violations.map((v) => ({ rule: v.ruleName, severity: v.severity ?? 'error', paths: v.violatingResources.map((r) => r.constructPath ?? r.resourceLogicalId ?? '?') }));
}

/** Every acknowledgement recorded in the tree: id and reason, with the path it was recorded on. */
export function acknowledgements(built: BuiltApp): Array<{ path: string; id: string; reason: string }> {
  const out: Array<{ path: string; id: string; reason: string }> = [];
  const visit = (c: IConstruct) => {
    for (const m of c.node.metadata)
      if (m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY && m.data)
        for (const [id, reason] of Object.entries(m.data as Record<string, string>)) out.push({ path: c.node.path, id: id.replace(/^annotation::/i, ''), reason });
    c.node.children.forEach(visit);
  };
  visit(built.app);
  return out;
}

/** CloudFormation quotas that a growing config could hit. */
export const CFN_LIMITS = { resources: 500, outputs: 200, parameters: 200, templateBytes: 1_000_000 };
