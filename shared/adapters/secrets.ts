// Types only: the clients are loaded on first use (see read()).
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { DialtoneError } from '../domain/errors.js';
import type { SecretRef, SecretResolver } from '../sources/parsers.js';

/**
 * The SecretResolver port on AWS: `{ ssm }` → SSM GetParameter WithDecryption (SecureString),
 * `{ secretsManager }` → Secrets Manager GetSecretValue (SecretString), `{ env }` → an
 * environment variable (local runs). Create one resolver per cold start (module scope in the
 * handler): clients are made once, on first use, and each value is cached for `maxAgeMs` (so a
 * rotated secret is picked up without a redeploy). A failed read is not cached. Error messages
 * name the reference and the AWS error, never a value.
 */
export interface AwsSecretResolverOptions {
  ssm?: SSMClient;
  secretsManager?: SecretsManagerClient;
  env?: Readonly<Record<string, string | undefined>>;
  /** How long a value is reused (default 15 minutes). */
  maxAgeMs?: number;
  /** Milliseconds now (default Date.now): tests pass a fake clock. */
  now?: () => number;
}

function describe(ref: SecretRef): string {
  return 'ssm' in ref ? `SSM parameter "${ref.ssm}"` : 'secretsManager' in ref ? `Secrets Manager secret "${ref.secretsManager}"` : `environment variable ${ref.env}`;
}

function unreadable(ref: SecretRef, why: string): DialtoneError {
  return new DialtoneError('SOURCE.UNREACHABLE', `${describe(ref)}: ${why}`, { secret: describe(ref) });
}

export function createAwsSecretResolver(options: AwsSecretResolverOptions = {}): SecretResolver {
  const maxAgeMs = options.maxAgeMs ?? 15 * 60_000;
  const now = options.now ?? Date.now;
  let ssm = options.ssm;
  let secretsManager = options.secretsManager;
  const cache = new Map<string, { value: Promise<string>; at: number }>();

  async function read(ref: SecretRef): Promise<string> {
    if ('env' in ref) {
      const value = (options.env ?? process.env)[ref.env];
      if (value === undefined || value === '') throw unreadable(ref, 'is not set');
      return value;
    }
    try {
      // The SDK clients are loaded on first use, not at import: most configs name no secret, and
      // the two add ≈ 20 ms to every function's cold start (npm run bench, part 4).
      if ('ssm' in ref) {
        const { GetParameterCommand, SSMClient } = await import('@aws-sdk/client-ssm');
        ssm ??= new SSMClient({});
        const out = await ssm.send(new GetParameterCommand({ Name: ref.ssm, WithDecryption: true }));
        const value = out.Parameter?.Value;
        if (!value) throw unreadable(ref, 'has no value');
        return value;
      }
      const { GetSecretValueCommand, SecretsManagerClient } = await import('@aws-sdk/client-secrets-manager');
      secretsManager ??= new SecretsManagerClient({});
      const out = await secretsManager.send(new GetSecretValueCommand({ SecretId: ref.secretsManager }));
      if (!out.SecretString) throw unreadable(ref, out.SecretBinary ? 'is binary; store the client secret as a string' : 'has no value');
      return out.SecretString;
    } catch (err) {
      if (err instanceof DialtoneError) throw err;
      const name = err instanceof Error ? err.name : 'Error';
      throw unreadable(ref, `${name}${err instanceof Error && err.message && err.message !== name ? `: ${err.message}` : ''}`);
    }
  }

  return (ref) => {
    const key = JSON.stringify(ref);
    const hit = cache.get(key);
    if (hit && now() - hit.at < maxAgeMs) return hit.value;
    const value = read(ref);
    cache.set(key, { value, at: now() });
    // A failure is not remembered: the next poll asks again.
    value.catch(() => {
      if (cache.get(key)?.value === value) cache.delete(key);
    });
    return value;
  };
}
