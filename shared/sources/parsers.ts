import type { PolledSourceConfig, SourceOf } from '../config/schema.js';
import type { Observation } from '../domain/observation.js';
import type { SourceState } from '../domain/records.js';
import type { DialtoneError } from '../domain/errors.js';

export type PolledKind = PolledSourceConfig['kind'];

/** body → observations for one configured source; throws DialtoneError SOURCE.BAD_PAYLOAD on input it cannot read. */
export type BodyParser<K extends PolledKind> = (body: Buffer, source: SourceOf<K>, observedAt: string) => Observation[];

export type SourceRead =
  | { kind: 'changed'; observations: Observation[]; state: Omit<SourceState, 'version'> }
  | { kind: 'unchanged'; state: Omit<SourceState, 'version'> }
  /**
   * `observations`: what the failure itself says about the components (a probe that cannot
   * connect says its target is down); without them the components read `unknown`.
   */
  | { kind: 'failed'; error: DialtoneError; state: Omit<SourceState, 'version'>; observations?: Observation[] }
  /** Not fetched: the upstream asked us to wait (Retry-After / backoff). Components keep their state. */
  | { kind: 'skipped'; reason: string; state: Omit<SourceState, 'version'> };

export interface ReadContext {
  now: Date;
  allow: readonly string[];
  /** Refuse every address not in `allow` (config `network.onlyAllowed`). */
  onlyAllowed?: boolean;
  /** Resolves secret references in source configs (Microsoft Graph client secret); see SecretResolver. */
  secrets?: SecretResolver;
}

/** A kind read by more than one plain GET + parse (token + paging, a probe's timing). */
export type CustomReader<K extends PolledKind> = (source: SourceOf<K>, prev: SourceState | undefined, ctx: ReadContext) => Promise<SourceRead>;

export type BodyParsers = { [K in PolledKind]?: BodyParser<K> };
export type CustomReaders = { [K in PolledKind]?: CustomReader<K> };

/**
 * One thing an upstream payload lists, read without any config (a component, an incident, an
 * event × service): what `dialtone parse --kind KIND FILE` prints. `key` is what a component's
 * `match` would name; `error` says why `status` is `unknown`.
 */
export interface UpstreamItem {
  key: string;
  name: string;
  status: import('../domain/status.js').Status;
  title?: string;
  url?: string;
  upstreamId?: string;
  startedAt?: string;
  updatedAt?: string;
  error?: string;
}

/** body → every upstream item, config-free; throws DialtoneError SOURCE.BAD_PAYLOAD like a BodyParser. */
export type BodyDecoder = (body: Buffer | string) => UpstreamItem[];
export type BodyDecoders = { [K in PolledKind]?: BodyDecoder };

/**
 * Where a source's secret lives: an SSM SecureString parameter, a Secrets Manager secret, or (for
 * a laptop) an environment variable. Config holds only the reference, never the secret.
 */
export type SecretRef = { ssm: string } | { secretsManager: string } | { env: string };

/**
 * Port: secret reference → the secret's value (a SOURCE.* DialtoneError when it cannot be read).
 * AWS implementation: shared/adapters/secrets.ts (SSM GetParameter WithDecryption, Secrets
 * Manager GetSecretValue, cached per cold start). Passed to custom readers in ReadContext.
 */
export type SecretResolver = (ref: SecretRef) => Promise<string>;
