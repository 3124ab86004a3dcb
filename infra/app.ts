import * as path from 'node:path';
import { App, Validations, type AppProps } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { loadConfigFile, type ConfigProblem } from '../shared/config/load.js';
import { readDeploymentOptions, secretRefProblems } from './context.js';
import { DialtoneStack } from './stack.js';
import { StateStack } from './state-stack.js';

/** Thrown when the app cannot be built from its context; carries every problem, not the first. */
export class ConfigError extends Error {
  readonly code = 'CONFIG.INVALID';
  constructor(
    readonly file: string | undefined,
    readonly problems: ConfigProblem[],
  ) {
    super(`invalid configuration${file ? ` in ${file}` : ''}:\n${problems.map((p) => `  - ${p.path}: ${p.message}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export interface BuiltApp {
  app: App;
  /** One per region, the primary region's first. */
  stacks: DialtoneStack[];
  stateStacks: StateStack[];
  /** The primary region's DialtoneStack. */
  stack: DialtoneStack;
}

export interface BuildOptions {
  /** Run cdk-nag (AwsSolutions) at synth: findings fail the synth. @default true */
  nag?: boolean;
  /** Passed to the stacks (tests force the optional handlers either way). */
  optionalFunctions?: { ingest?: boolean; healthEvents?: boolean; deliveryStatus?: boolean };
}

/**
 * Build the CDK app from context (see infra/context.ts for every key):
 * `-c config=path/to/dialtone.yaml [-c regions=us-east-1,us-west-2] [-c tableKey=customer] …`.
 * The config and the context are validated here, at synth time, so a bad roster or a typo in a
 * flag never reaches a deployment; every problem is listed.
 *
 * Stacks: per region a `DialtoneState…` stack (the table in the primary region, its key where
 * customer-managed) and a `Dialtone…` stack (everything stateless). One region: `DialtoneState`
 * and `Dialtone`; several: suffixed with the region.
 */
export function buildApp(props: AppProps = {}, build: BuildOptions = {}): BuiltApp {
  const app = new App(props);
  // Cross-stack references (a region's table key, used by its functions) stay "strong": the state
  // stack cannot drop an export while a function stack imports it.
  if (app.node.tryGetContext('@aws-cdk/core:defaultCrossStackReferences') === undefined) app.node.setContext('@aws-cdk/core:defaultCrossStackReferences', 'strong');
  const configPath = app.node.tryGetContext('config') as unknown;
  if (typeof configPath !== 'string' || configPath === '') {
    throw new ConfigError(undefined, [{ path: 'config', message: 'pass -c config=path/to/dialtone.yaml (or set it in cdk.json)' }]);
  }

  const file = path.resolve(configPath);
  const result = loadConfigFile(file);
  const context = readDeploymentOptions((k) => app.node.tryGetContext(k), process.env.CDK_DEFAULT_REGION);
  const problems = [...(result.ok ? [] : result.problems), ...(context.ok ? [] : context.problems)];
  if (result.ok && context.ok) problems.push(...secretRefProblems(result.config, context.options.secretsPrefix));
  if (problems.length > 0 || !result.ok || !context.ok) throw new ConfigError(result.ok ? undefined : file, problems);

  const { options } = context;
  const config = result.config;
  const account = process.env.CDK_DEFAULT_ACCOUNT;
  const multi = options.regions.length > 1;
  const regions: Array<string | undefined> = options.regions.length ? options.regions : [undefined];
  const [primary] = regions;
  const suffix = (r: string | undefined) => (multi ? `-${r}` : '');
  const description = 'dialtone: 911-dependency monitoring and alerting';

  const stateStacks: StateStack[] = [];
  const stacks: DialtoneStack[] = [];
  const stateOf = new Map<string | undefined, StateStack>();
  for (const region of regions) {
    const isPrimary = region === primary;
    // A secondary region needs a state stack only for its replica's customer-managed key.
    if (!isPrimary && options.tableKey !== 'customer') continue;
    const state = new StateStack(app, `DialtoneState${suffix(region)}`, {
      description: `${description} (state${isPrimary ? '' : `: replica key`})`,
      env: { account, region },
      tableName: options.tableName,
      primary: isPrimary,
      tableKey: options.tableKey,
      ...(isPrimary && multi ? { replicaRegions: regions.slice(1) as string[] } : {}),
    });
    stateOf.set(region, state);
    stateStacks.push(state);
  }
  const primaryState = stateOf.get(primary)!;
  // A replica's key must exist before the primary creates the replica.
  for (const s of stateStacks) if (s !== primaryState) primaryState.addStackDependency(s, 'the replica key must exist before the replica');

  for (const region of regions) {
    const regionState = stateOf.get(region);
    const stack = new DialtoneStack(app, `Dialtone${suffix(region)}`, {
      description,
      env: { account, region },
      config,
      options,
      multiRegion: multi,
      ...(regionState?.key ? { tableKey: regionState.key } : {}),
      ...(build.optionalFunctions ? { optionalFunctions: build.optionalFunctions } : {}),
    });
    stack.addStackDependency(primaryState, 'the table (or its replica) must exist');
    stacks.push(stack);
  }

  if (build.nag ?? true) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stacks, stateStacks, stack: stacks[0]! };
}

// Synthesize only when run as the CDK app (cdk.json), not when a test imports buildApp.
if (require.main === module) {
  try {
    buildApp().app.synth();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`dialtone: ${err.message}\n`);
    process.exit(1);
  }
}
