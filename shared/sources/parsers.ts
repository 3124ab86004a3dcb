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
  | { kind: 'failed'; error: DialtoneError; state: Omit<SourceState, 'version'> };

export interface ReadContext {
  now: Date;
  allow: readonly string[];
}

/** A kind read by more than one plain GET + parse (token + paging, a probe's timing). */
export type CustomReader<K extends PolledKind> = (source: SourceOf<K>, prev: SourceState | undefined, ctx: ReadContext) => Promise<SourceRead>;

export type BodyParsers = { [K in PolledKind]?: BodyParser<K> };
export type CustomReaders = { [K in PolledKind]?: CustomReader<K> };
