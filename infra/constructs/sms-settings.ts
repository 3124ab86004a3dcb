import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { AwsCustomResource, AwsCustomResourcePolicy, Logging, PhysicalResourceId } from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';

export interface SmsSettingsProps {
  /** Account default SMS type. 911 alerts are Transactional (the account default is Promotional). */
  readonly smsType: 'Transactional' | 'Promotional';
  /** USD per calendar month; SNS stops sending SMS within minutes of crossing it. */
  readonly monthlySpendLimit: number;
  /** Percentage of successful deliveries logged (failures are always logged). @default 100 */
  readonly successSamplingRate?: number;
}

/**
 * The region's SMS account attributes. They have no CloudFormation resource,
 * so an AwsCustomResource calls SNS SetSMSAttributes on create and update: DefaultSMSType,
 * MonthlySpendLimit, and delivery-status logging through a role SNS assumes to write
 * CloudWatch Logs (price, status, carrier response, dwell time per message).
 *
 * On delete the attributes are left as they are: there is no "unset", and a half-torn-down
 * stack should not flip 911 alerts to Promotional.
 *
 * The delivery-status log groups are created here, with a retention: SNS would otherwise create
 * them with none, and their entries carry destination phone numbers.
 */
export class SmsSettings extends Construct {
  readonly deliveryStatusRole: Role;
  readonly successLogs: LogGroup;
  readonly failureLogs: LogGroup;

  constructor(scope: Construct, id: string, props: SmsSettingsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const base = `sns/${stack.region}/${stack.account}/DirectPublishToPhoneNumber`;
    this.successLogs = new LogGroup(this, 'DeliveredLogs', { logGroupName: base, retention: RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.RETAIN });
    this.failureLogs = new LogGroup(this, 'FailedLogs', { logGroupName: `${base}/Failure`, retention: RetentionDays.THREE_MONTHS, removalPolicy: RemovalPolicy.RETAIN });

    this.deliveryStatusRole = new Role(this, 'DeliveryStatusRole', {
      assumedBy: new ServicePrincipal('sns.amazonaws.com'),
      description: 'SNS writes SMS delivery status (success and failure) to CloudWatch Logs',
    });
    this.deliveryStatusRole.addToPolicy(
      new PolicyStatement({
        sid: 'SmsDeliveryStatusLogs',
        // The set SNS documents for delivery-status logging; only on its own two log groups.
        actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:PutMetricFilter', 'logs:PutRetentionPolicy'],
        resources: [this.successLogs.logGroupArn, this.failureLogs.logGroupArn],
      }),
    );

    // The custom resource's own function: a role that writes its own log group and nothing else.
    const providerLogs = new LogGroup(this, 'ProviderLogs', { retention: RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
    const providerRole = new Role(this, 'ProviderRole', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: 'Sets the account SMS attributes (SNS SetSMSAttributes) for dialtone',
    });
    providerLogs.grantWrite(providerRole);

    const attributes: Record<string, string> = {
      DefaultSMSType: props.smsType,
      MonthlySpendLimit: String(props.monthlySpendLimit),
      DeliveryStatusIAMRole: this.deliveryStatusRole.roleArn,
      DeliveryStatusSuccessSamplingRate: String(props.successSamplingRate ?? 100),
    };
    const call = {
      service: 'SNS',
      action: 'setSMSAttributes',
      parameters: { attributes },
      // One account-level setting per region: the id never changes, updates call the API again.
      physicalResourceId: PhysicalResourceId.of(`dialtone-sms-settings-${stack.region}`),
      logging: Logging.withDataHidden(),
    };
    const resource = new AwsCustomResource(this, 'SetSmsAttributes', {
      onCreate: call,
      onUpdate: call,
      role: providerRole,
      logGroup: providerLogs,
      installLatestAwsSdk: false,
      policy: AwsCustomResourcePolicy.fromStatements([
        // SetSMSAttributes is an account-level action: it has no resource type.
        new PolicyStatement({ sid: 'SetSmsAttributes', actions: ['sns:SetSMSAttributes'], resources: ['*'] }),
        // Handing the delivery-status role to SNS, and to SNS only.
        new PolicyStatement({
          sid: 'PassDeliveryStatusRole',
          actions: ['iam:PassRole'],
          resources: [this.deliveryStatusRole.roleArn],
          conditions: { StringEquals: { 'iam:PassedToService': 'sns.amazonaws.com' } },
        }),
      ]),
    });
    resource.node.addDependency(this.deliveryStatusRole);
    Validations.of(resource).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'sns:SetSMSAttributes is an account-level action with no resource type in IAM; the statement allows only that action (iam:PassRole is limited to the delivery-status role, for SNS)',
    });
  }
}
