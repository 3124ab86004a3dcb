import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { createAwsSecretResolver } from '../../shared/adapters/secrets.js';
import { DialtoneError } from '../../shared/domain/errors.js';

const ssmMock = mockClient(SSMClient);
const smMock = mockClient(SecretsManagerClient);

beforeEach(() => {
  ssmMock.reset();
  smMock.reset();
});

function resolver(clock = { t: 0 }) {
  return createAwsSecretResolver({ ssm: new SSMClient({ region: 'us-east-1' }), secretsManager: new SecretsManagerClient({ region: 'us-east-1' }), now: () => clock.t, env: { M365_SECRET: 'from-env' } });
}

test('SSM: GetParameter WithDecryption, cached per cold start', async () => {
  ssmMock.on(GetParameterCommand, { Name: '/dialtone/m365', WithDecryption: true }).resolves({ Parameter: { Value: 'ssm-secret' } });
  const resolve = resolver();
  expect(await resolve({ ssm: '/dialtone/m365' })).toBe('ssm-secret');
  expect(await resolve({ ssm: '/dialtone/m365' })).toBe('ssm-secret');
  expect(ssmMock.commandCalls(GetParameterCommand)).toHaveLength(1);
  expect(ssmMock.commandCalls(GetParameterCommand)[0]?.args[0].input).toEqual({ Name: '/dialtone/m365', WithDecryption: true });
});

test('Secrets Manager: GetSecretValue SecretString', async () => {
  smMock.on(GetSecretValueCommand, { SecretId: 'dialtone/m365' }).resolves({ SecretString: 'sm-secret' });
  expect(await resolver()({ secretsManager: 'dialtone/m365' })).toBe('sm-secret');
});

test('a value is read again after maxAgeMs (rotation)', async () => {
  ssmMock.on(GetParameterCommand).resolvesOnce({ Parameter: { Value: 'old' } }).resolves({ Parameter: { Value: 'new' } });
  const clock = { t: 0 };
  const resolve = resolver(clock);
  expect(await resolve({ ssm: '/p' })).toBe('old');
  clock.t = 14 * 60_000;
  expect(await resolve({ ssm: '/p' })).toBe('old');
  clock.t = 16 * 60_000;
  expect(await resolve({ ssm: '/p' })).toBe('new');
});

test('failures name the reference and the AWS error, are not cached, and carry no value', async () => {
  const notFound = Object.assign(new Error('Parameter /p not found.'), { name: 'ParameterNotFound' });
  ssmMock.on(GetParameterCommand).rejectsOnce(notFound).resolves({ Parameter: { Value: 'later' } });
  const resolve = resolver();
  const err = await resolve({ ssm: '/p' }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(DialtoneError);
  expect((err as DialtoneError).code).toBe('SOURCE.UNREACHABLE');
  expect((err as DialtoneError).message).toBe('SSM parameter "/p": ParameterNotFound: Parameter /p not found.');
  expect(await resolve({ ssm: '/p' })).toBe('later');
});

test('binary or empty secrets are refused clearly', async () => {
  smMock.on(GetSecretValueCommand).resolves({ SecretBinary: new Uint8Array([1, 2]) });
  await expect(resolver()({ secretsManager: 'bin' })).rejects.toThrow('Secrets Manager secret "bin": is binary; store the client secret as a string');
  ssmMock.on(GetParameterCommand).resolves({ Parameter: {} });
  await expect(resolver()({ ssm: '/empty' })).rejects.toThrow('SSM parameter "/empty": has no value');
});

test('env: a local run reads an environment variable', async () => {
  const resolve = resolver();
  expect(await resolve({ env: 'M365_SECRET' })).toBe('from-env');
  await expect(resolve({ env: 'NOT_SET' })).rejects.toThrow('environment variable NOT_SET: is not set');
});
