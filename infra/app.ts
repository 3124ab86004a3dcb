import * as path from 'node:path';
import { App, type AppProps } from 'aws-cdk-lib';
import { loadConfigFile, type ConfigProblem } from '../shared/config/load.js';
import { DialtoneStack } from './stack.js';

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

const isE164 = (v: unknown): v is string => typeof v === 'string' && /^\+[1-9]\d{6,14}$/.test(v);

/**
 * Build the CDK app from context: `-c config=path/to/dialtone.yaml [-c smsOriginationNumber=+1…]`.
 * The config is validated here, at synth time, so a bad roster never reaches a deployment.
 */
export function buildApp(props: AppProps = {}): { app: App; stack: DialtoneStack } {
  const app = new App(props);
  const configPath = app.node.tryGetContext('config') as unknown;
  if (typeof configPath !== 'string' || configPath === '') {
    throw new ConfigError(undefined, [{ path: 'config', message: 'pass -c config=path/to/dialtone.yaml (or set it in cdk.json)' }]);
  }

  const file = path.resolve(configPath);
  const result = loadConfigFile(file);
  if (!result.ok) throw new ConfigError(file, result.problems);

  const sms = app.node.tryGetContext('smsOriginationNumber') as unknown;
  if (sms !== undefined && !isE164(sms)) {
    throw new ConfigError(undefined, [
      { path: 'smsOriginationNumber', message: `must be E.164, e.g. +18335550100 (got ${JSON.stringify(sms)})` },
    ]);
  }

  const stack = new DialtoneStack(app, 'Dialtone', {
    config: result.config,
    smsOriginationNumber: sms,
    description: 'dialtone: 911-dependency monitoring and alerting',
    // Environment-agnostic unless the CLI resolved an account/region, so synth works offline.
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  });
  return { app, stack };
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
