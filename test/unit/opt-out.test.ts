import 'aws-sdk-client-mock-jest';
import { CheckIfPhoneNumberIsOptedOutCommand, ListPhoneNumbersOptedOutCommand, SNSClient, SNSServiceException } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { SnsOptOutChecker } from '../../shared/adapters/opt-out.js';

const A = '+16125550123';
const B = '+16515550198';
const C = '+17635550187';

describe('SnsOptOutChecker', () => {
  const sns = mockClient(SNSClient);
  const client = new SNSClient({ region: 'us-east-1' });
  beforeEach(() => sns.reset());

  describe('check', () => {
    test('asks CheckIfPhoneNumberIsOptedOut once per number per run', async () => {
      sns.on(CheckIfPhoneNumberIsOptedOutCommand, { phoneNumber: A }).resolves({ isOptedOut: true });
      sns.on(CheckIfPhoneNumberIsOptedOutCommand, { phoneNumber: B }).resolves({ isOptedOut: false });
      const checker = new SnsOptOutChecker({ client });

      expect(await checker.check(A)).toEqual({ status: 'opted-out' });
      expect(await checker.check(B)).toEqual({ status: 'opted-in' });
      expect(await checker.check(A)).toEqual({ status: 'opted-out' });
      // Same number, other spelling: still cached.
      expect(await checker.check('+1 612-555-0123')).toEqual({ status: 'opted-out' });

      expect(sns).toHaveReceivedCommandTimes(CheckIfPhoneNumberIsOptedOutCommand, 2);
      expect(sns.commandCalls(CheckIfPhoneNumberIsOptedOutCommand).map((c) => c.args[0].input)).toStrictEqual([{ phoneNumber: A }, { phoneNumber: B }]);
    });

    test('concurrent checks of one number share one call', async () => {
      sns.on(CheckIfPhoneNumberIsOptedOutCommand).resolves({ isOptedOut: false });
      const checker = new SnsOptOutChecker({ client });

      await Promise.all([checker.check(A), checker.check(A), checker.check(A)]);

      expect(sns).toHaveReceivedCommandTimes(CheckIfPhoneNumberIsOptedOutCommand, 1);
    });

    test('a new run asks again (opt-ins happen)', async () => {
      sns.on(CheckIfPhoneNumberIsOptedOutCommand).resolvesOnce({ isOptedOut: true }).resolvesOnce({ isOptedOut: false });

      expect(await new SnsOptOutChecker({ client }).check(A)).toEqual({ status: 'opted-out' });
      expect(await new SnsOptOutChecker({ client }).check(A)).toEqual({ status: 'opted-in' });
    });

    test('a failure is an unknown value with the number masked, and is not cached', async () => {
      sns
        .on(CheckIfPhoneNumberIsOptedOutCommand)
        .rejectsOnce(new SNSServiceException({ name: 'ThrottledException', $fault: 'client', $metadata: {}, message: `Rate exceeded for ${A}` }))
        .resolvesOnce({ isOptedOut: false });
      const checker = new SnsOptOutChecker({ client });

      const first = await checker.check(A);
      expect(first.status).toBe('unknown');
      const error = first.status === 'unknown' ? first.error : '';
      expect(error).toBe('CheckIfPhoneNumberIsOptedOut for +1******0123 failed: ThrottledException: Rate exceeded for +1******0123');
      expect(error).not.toContain(A);

      expect(await checker.check(A)).toEqual({ status: 'opted-in' });
      expect(sns).toHaveReceivedCommandTimes(CheckIfPhoneNumberIsOptedOutCommand, 2);
    });

    test('an answer without isOptedOut is unknown', async () => {
      sns.on(CheckIfPhoneNumberIsOptedOutCommand).resolves({});
      expect(await new SnsOptOutChecker({ client }).check(A)).toEqual({ status: 'unknown', error: 'CheckIfPhoneNumberIsOptedOut for +1******0123 returned no answer' });
    });
  });

  describe('listOptedOut', () => {
    test('pages with nextToken and returns masked numbers', async () => {
      sns
        .on(ListPhoneNumbersOptedOutCommand)
        .resolvesOnce({ phoneNumbers: [A, B], nextToken: 't1' })
        .resolvesOnce({ phoneNumbers: [C], nextToken: 't2' })
        .resolvesOnce({ phoneNumbers: [] });

      const listing = await new SnsOptOutChecker({ client }).listOptedOut();

      expect(listing).toStrictEqual({ masked: ['+1******0123', '+1******0198', '+1******0187'], count: 3, complete: true, pages: 3 });
      expect(JSON.stringify(listing)).not.toMatch(/555/);
      expect(sns.commandCalls(ListPhoneNumbersOptedOutCommand).map((c) => c.args[0].input)).toStrictEqual([{}, { nextToken: 't1' }, { nextToken: 't2' }]);
    });

    test('stops at maxPages and says the list is incomplete', async () => {
      sns.on(ListPhoneNumbersOptedOutCommand).callsFake((input: { nextToken?: string }) => {
        const page = Number(input.nextToken ?? 0);
        return { phoneNumbers: [`+1612555${String(1000 + page)}`], nextToken: String(page + 1) };
      });

      const listing = await new SnsOptOutChecker({ client, maxPages: 3 }).listOptedOut();

      expect(listing).toMatchObject({ count: 3, complete: false, pages: 3 });
      expect(sns).toHaveReceivedCommandTimes(ListPhoneNumbersOptedOutCommand, 3);
    });

    test('a repeated nextToken stops the paging', async () => {
      sns.on(ListPhoneNumbersOptedOutCommand).resolves({ phoneNumbers: [A], nextToken: 'same' });

      const listing = await new SnsOptOutChecker({ client }).listOptedOut();

      expect(listing).toMatchObject({ count: 1, complete: false, pages: 2, error: 'ListPhoneNumbersOptedOut repeated a nextToken; stopped' });
    });

    test('an error mid-way returns what was read, incomplete, with a redacted error', async () => {
      sns
        .on(ListPhoneNumbersOptedOutCommand)
        .resolvesOnce({ phoneNumbers: [A], nextToken: 't1' })
        .rejectsOnce(new SNSServiceException({ name: 'InternalErrorException', $fault: 'server', $metadata: {}, message: `failed near ${B}` }));

      const listing = await new SnsOptOutChecker({ client }).listOptedOut();

      expect(listing).toStrictEqual({
        masked: ['+1******0123'],
        count: 1,
        complete: false,
        pages: 1,
        error: 'ListPhoneNumbersOptedOut page 2 failed: InternalErrorException: failed near +1******0198',
      });
    });

    test('a complete listing answers later checks of the run without asking SNS', async () => {
      sns.on(ListPhoneNumbersOptedOutCommand).resolves({ phoneNumbers: [A] });
      const checker = new SnsOptOutChecker({ client });

      await checker.listOptedOut();

      expect(await checker.check(A)).toEqual({ status: 'opted-out' });
      expect(await checker.check(B)).toEqual({ status: 'opted-in' });
      expect(sns).toHaveReceivedCommandTimes(CheckIfPhoneNumberIsOptedOutCommand, 0);
    });

    test('an incomplete listing still caches the numbers it saw, and asks about the others', async () => {
      sns.on(ListPhoneNumbersOptedOutCommand).resolves({ phoneNumbers: [A], nextToken: 'more' });
      sns.on(CheckIfPhoneNumberIsOptedOutCommand).resolves({ isOptedOut: false });
      const checker = new SnsOptOutChecker({ client, maxPages: 1 });

      await checker.listOptedOut();

      expect(await checker.check(A)).toEqual({ status: 'opted-out' });
      expect(await checker.check(B)).toEqual({ status: 'opted-in' });
      expect(sns.commandCalls(CheckIfPhoneNumberIsOptedOutCommand).map((c) => c.args[0].input)).toStrictEqual([{ phoneNumber: B }]);
    });
  });
});
