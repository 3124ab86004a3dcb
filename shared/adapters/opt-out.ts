import {
  CheckIfPhoneNumberIsOptedOutCommand,
  ListPhoneNumbersOptedOutCommand,
  type ListPhoneNumbersOptedOutCommandOutput,
  type SNSClient,
} from '@aws-sdk/client-sns';
import { maskPhone, redact } from '../domain/mask.js';

/**
 * SMS opt-outs: a recipient who replied STOP is opted out, and SNS drops every
 * later SMS to that number: Publish still succeeds, so without this check a PSAP that once
 * texted STOP would silently miss every alert. Deliver checks before sending and falls back to
 * the recipient's other channel.
 *
 * One instance per run (invocation): answers are cached for the run, not across runs (a number
 * can be opted back in). A failed check is an "unknown" value, not an exception: the caller
 * decides (send anyway and also use the other channel), and the next call asks SNS again.
 */

export type OptOutStatus = { status: 'opted-out' } | { status: 'opted-in' } | { status: 'unknown'; error: string };

export interface OptOutListing {
  /** Opted-out numbers, masked (safe for reports and logs). */
  masked: string[];
  count: number;
  /** False when the listing stopped at maxPages or on an error: the list may be longer. */
  complete: boolean;
  pages: number;
  error?: string;
}

export interface SnsOptOutCheckerOptions {
  client: SNSClient;
  /** ListPhoneNumbersOptedOut returns up to 100 numbers a page; stop after this many pages (default 20). */
  maxPages?: number;
}

/** One key per number however it is written (+1 612-555-0123 and +16125550123 are the same). */
const key = (phone: string) => `+${phone.replace(/\D/g, '')}`;

function describeError(err: unknown): string {
  const name = err instanceof Error ? err.name : 'Error';
  const message = err instanceof Error ? err.message : String(err);
  return `${name}: ${redact(message)}`;
}

export class SnsOptOutChecker {
  private readonly maxPages: number;
  private readonly answers = new Map<string, Promise<OptOutStatus>>();
  /** Set after a complete listing: every opted-out number of the account. */
  private fullList?: ReadonlySet<string>;

  constructor(private readonly options: SnsOptOutCheckerOptions) {
    this.maxPages = Math.max(1, options.maxPages ?? 20);
  }

  /** Is this number opted out? One CheckIfPhoneNumberIsOptedOut per number per run (none after a complete listing). */
  check(phone: string): Promise<OptOutStatus> {
    const k = key(phone);
    if (this.fullList) return Promise.resolve(this.fullList.has(k) ? { status: 'opted-out' } : { status: 'opted-in' });
    const cached = this.answers.get(k);
    if (cached) return cached;
    const answer = this.ask(k);
    this.answers.set(k, answer);
    // Cache answers, not failures: the next check asks again.
    void answer.then((a) => {
      if (a.status === 'unknown' && this.answers.get(k) === answer) this.answers.delete(k);
    });
    return answer;
  }

  private async ask(phone: string): Promise<OptOutStatus> {
    try {
      const out = await this.options.client.send(new CheckIfPhoneNumberIsOptedOutCommand({ phoneNumber: phone }));
      if (out.isOptedOut === undefined)
        return { status: 'unknown', error: `CheckIfPhoneNumberIsOptedOut for ${maskPhone(phone)} returned no answer` };
      return out.isOptedOut ? { status: 'opted-out' } : { status: 'opted-in' };
    } catch (err) {
      return { status: 'unknown', error: `CheckIfPhoneNumberIsOptedOut for ${maskPhone(phone)} failed: ${describeError(err)}` };
    }
  }

  /**
   * Every opted-out number of the account, masked, paging with nextToken up to maxPages. A
   * complete listing also answers later check() calls of this run without asking SNS again.
   */
  async listOptedOut(): Promise<OptOutListing> {
    const numbers = new Set<string>();
    const seenTokens = new Set<string>();
    let nextToken: string | undefined;
    let pages = 0;
    let error: string | undefined;
    let complete = false;
    while (pages < this.maxPages) {
      let out: ListPhoneNumbersOptedOutCommandOutput;
      try {
        out = await this.options.client.send(new ListPhoneNumbersOptedOutCommand(nextToken === undefined ? {} : { nextToken }));
      } catch (err) {
        error = `ListPhoneNumbersOptedOut page ${pages + 1} failed: ${describeError(err)}`;
        break;
      }
      pages++;
      for (const n of out.phoneNumbers ?? []) numbers.add(key(n));
      if (!out.nextToken) {
        complete = true;
        break;
      }
      // A token seen before would loop forever.
      if (seenTokens.has(out.nextToken)) {
        error = 'ListPhoneNumbersOptedOut repeated a nextToken; stopped';
        break;
      }
      seenTokens.add(out.nextToken);
      nextToken = out.nextToken;
    }
    for (const n of numbers) this.answers.set(n, Promise.resolve({ status: 'opted-out' }));
    if (complete) this.fullList = numbers;
    const masked = [...numbers].sort().map(maskPhone);
    return { masked, count: numbers.size, complete, pages, ...(error !== undefined ? { error } : {}) };
  }
}
