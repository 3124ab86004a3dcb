import type { z } from 'zod';
import { DialtoneError } from '../../domain/errors.js';
import type { Status } from '../../domain/status.js';

/** What one push says about one configured component. */
export interface ComponentUpdate {
  componentId: string;
  status: Status;
  title?: string;
  url?: string;
  upstreamId?: string;
  /** Why the status is unknown: names the source and the field. */
  error?: string;
  /**
   * An upstream item that stays open until it is closed (an AWS Health event): the component's
   * standing status is then the worst of its open items, and `operational` closes this one.
   */
  item?: string;
}

/** One upstream notification inside a push (a Statuspage notification, one AWS Health event). */
export interface PushEvent {
  /** Dedupe key: a second push with the same key is recorded once. */
  key?: string;
  updates: ComponentUpdate[];
  /** Why the event concerns none of the configured components (for the response). */
  ignored?: string;
}

/** A push that cannot be read: 400, naming the source and the field. */
export function badPush(sourceId: string, field: string, message: string): DialtoneError {
  return new DialtoneError('SOURCE.BAD_PAYLOAD', `source "${sourceId}": ${field}: ${message}`, { sourceId, field });
}

/** zod → the first problem as a field path (a.b[0].c) and its message. */
export function firstIssue(error: z.ZodError, prefix = ''): { field: string; message: string } {
  const issue = error.issues[0];
  const path = (issue?.path ?? []).reduce<string>((out, key) => (typeof key === 'number' ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)), prefix);
  return { field: path || '(body)', message: issue?.message ?? 'invalid' };
}

export const sameName = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();
