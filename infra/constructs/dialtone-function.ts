import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, RuntimeManagementMode } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, type NodejsFunctionProps } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/**
 * Linux caps one argv string at 128 KiB (MAX_ARG_STRLEN) and CDK passes `define` to esbuild on the
 * command line, so a bigger inlined config would fail the build with an opaque E2BIG. Fail early,
 * with a message that says what to do, well below that.
 */
export const MAX_INLINED_CONFIG_BYTES = 100 * 1024;

/** The Lambda runtime of every function: Node 22 on ARM64. */
export const LAMBDA_RUNTIME = Runtime.NODEJS_22_X;

/** The esbuild `define` that bakes a validated monitoring config into a bundle. */
export function configDefine(config: unknown): Record<string, string> {
  // Outer stringify makes a JS string literal (what esbuild substitutes); inner one is the JSON text.
  const literal = JSON.stringify(JSON.stringify(config));
  const bytes = Buffer.byteLength(literal, 'utf8');
  if (bytes > MAX_INLINED_CONFIG_BYTES) {
    throw new Error(
      `the monitoring config is ${bytes} bytes once inlined; the limit is ${MAX_INLINED_CONFIG_BYTES}. ` +
        'Move large parts (e.g. the recipient roster) to SSM Parameter Store or S3.',
    );
  }
  return { 'process.env.DIALTONE_CONFIG_JSON': literal };
}

export interface DialtoneFunctionProps
  extends Pick<NodejsFunctionProps, 'description' | 'environment' | 'reservedConcurrentExecutions' | 'retryAttempts' | 'maxEventAge' | 'onFailure'> {
  /** Path to the handler module (e.g. `functions/poll/handler.ts`), exporting `handler`. */
  readonly entry: string;
  /** Powertools service name (logs, metrics, traces). @default 'dialtone' */
  readonly serviceName?: string;
  /** @default 256 */
  readonly memorySize?: number;
  /** @default Duration.seconds(30) */
  readonly timeout?: Duration;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /**
   * A validated config to inline at build time as `process.env.DIALTONE_CONFIG_JSON`.
   * Inlined (not an env var) because Lambda env vars are capped at 4 KB in total.
   * The handler must read it with that exact dotted expression for esbuild to substitute it.
   */
  readonly inlineConfig?: unknown;
}

/**
 * A Node.js Lambda with the project's defaults: Node 22 on ARM64, bundled locally by esbuild
 * (no Docker), minified with source maps, an explicit log group with retention, and its own
 * role that can write to that log group and nothing else (no AWSLambdaBasicExecutionRole:
 * that managed policy may create log groups anywhere). Grants are left to the caller: this
 * construct only knows how to build and run code.
 */
export class DialtoneFunction extends Construct {
  readonly function: NodejsFunction;
  readonly logGroup: LogGroup;
  readonly role: Role;
  /** The handler module it runs: tests find a function's code (and what it calls) by it. */
  readonly entry: string;

  constructor(scope: Construct, id: string, props: DialtoneFunctionProps) {
    super(scope, id);
    this.entry = props.entry;

    // Explicit log group so retention is ours, not "never expire" from Lambda's implicit group.
    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      // Logs are incident evidence: keep them past a stack delete; retention still expires them.
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.serviceName ?? 'dialtone'}: execution role`,
    });
    this.logGroup.grantWrite(this.role);

    this.function = new NodejsFunction(this, 'Function', {
      entry: props.entry,
      handler: 'handler',
      description: props.description,
      runtime: LAMBDA_RUNTIME,
      architecture: Architecture.ARM_64,
      // The runtime, and the AWS SDK it carries (see bundleAwsSDK below), changes only when we
      // deploy, never under a running deployment.
      runtimeManagementMode: RuntimeManagementMode.FUNCTION_UPDATE,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(30),
      role: this.role,
      logGroup: this.logGroup,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      retryAttempts: props.retryAttempts,
      maxEventAge: props.maxEventAge,
      onFailure: props.onFailure,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: props.serviceName ?? 'dialtone',
        ...props.environment,
      },
      bundling: {
        forceDockerBundling: false,
        format: OutputFormat.CJS,
        target: 'node22',
        minify: true,
        sourceMap: true,
        // Stack traces need the mappings, not the original sources: keeps the asset small.
        sourcesContent: false,
        // The AWS SDK v3 the Node.js runtime carries (/var/runtime/node_modules), not bundled:
        // bundled it is 0.6 to 1.0 MB of every function (bundles 1.1 to 1.6 MB instead of 0.16 to
        // 0.43 MB) and slows module init (npm run bench, part 4). The price is that the SDK is the
        // runtime's, not the version in package-lock.json the tests ran against; the calls made
        // (DynamoDB document client, SNS Publish, SES v2 SendEmail, EventBridge PutEvents, SSM,
        // Secrets Manager) are long-stable, and `runtimeManagementMode` above keeps the runtime from
        // changing between deploys. To pin a runtime version exactly, set
        // RuntimeManagementMode.manual(<runtime version ARN from the INIT_START log line>) per region.
        bundleAwsSDK: false,
        define: props.inlineConfig === undefined ? undefined : configDefine(props.inlineConfig),
      },
    });
    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions-L1',
      reason: 'Node 22 is the runtime the project fixes and the bundles target (supported by Lambda into 2027); moving to Node 24 is a one-line change of LAMBDA_RUNTIME once the suite has run on it',
    });
  }
}
