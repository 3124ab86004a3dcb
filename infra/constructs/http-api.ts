import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod, HttpNoneAuthorizer, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

export interface DialtoneHttpApiProps {
  /** The read API (functions/api): every route IAM-authorized. */
  readonly read: IFunction;
  /** Push ingest (functions/ingest), when deployed: authenticated per source in code. */
  readonly ingest?: IFunction;
  /** Acknowledgement links (functions/acks): authenticated by the HMAC signature in the path. */
  readonly acks?: IFunction;
  /** Stage throttling: steady requests per second and burst. */
  readonly rateLimit: number;
  readonly burstLimit: number;
}

/** Read routes (GET, IAM auth) and push routes (POST, per-source auth in the handler). */
export const READ_ROUTES = ['/status', '/incidents', '/incidents/{id}', '/incidents/{id}/report', '/incidents/{id}/cap'] as const;
export const PUSH_ROUTES = ['/push/{sourceId}', '/push/{sourceId}/{token}'] as const;
/** The signed acknowledgement link in emails (shared/app/ack.ts ackLink): GET, no authorizer. */
export const ACK_ROUTE = '/ack/{incidentId}/{recipientId}/{signature}' as const;

/**
 * One HTTP API (API Gateway v2) per region:
 *
 * - the read API: `GET` status, incidents, report, CAP, with AWS IAM authorization: a caller
 *   signs with SigV4 and needs `execute-api:Invoke` on the route (operators, a dashboard, a
 *   CAP aggregator get a role; nothing is public);
 * - push: `POST /push/{sourceId}[/{token}]` carries no API Gateway authorizer, because its
 *   senders (Statuspage, a PSAP's CAD heartbeat) cannot sign AWS requests. Each source
 *   authenticates in code (shared/app/ingest.ts): a bearer token whose sha256 is in the config,
 *   compared in constant time, and/or an HMAC signature with a replay window; unknown sources
 *   are 404 before anything is read;
 * - acknowledgement links: `GET /ack/{incidentId}/{recipientId}/{signature}`, opened from an
 *   email by a person, so no API Gateway authorizer either: the HMAC-SHA256 signature (keyed by
 *   the stack's ack signing key) is the authentication, checked in constant time in the acks
 *   function before anything is read.
 *
 * Throttled at the stage (every route), with JSON access logs that name the route template, not
 * the path: a push token in the URL never reaches a log.
 */
export class DialtoneHttpApi extends Construct {
  readonly api: HttpApi;
  readonly stage: HttpStage;
  readonly accessLogs: LogGroup;

  constructor(scope: Construct, id: string, props: DialtoneHttpApiProps) {
    super(scope, id);
    this.api = new HttpApi(this, 'Api', {
      description: 'dialtone: read API (IAM) and push ingest (per-source auth)',
      createDefaultStage: false,
    });
    this.accessLogs = new LogGroup(this, 'AccessLogs', { retention: RetentionDays.THREE_MONTHS, removalPolicy: RemovalPolicy.RETAIN });
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      autoDeploy: true,
      throttle: { rateLimit: props.rateLimit, burstLimit: props.burstLimit },
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            caller: '$context.identity.caller',
            requestTime: '$context.requestTime',
            routeKey: '$context.routeKey',
            status: '$context.status',
            responseLength: '$context.responseLength',
            latencyMs: '$context.responseLatency',
            integrationError: '$context.integrationErrorMessage',
            authorizerError: '$context.authorizer.error',
          }),
        ),
      },
    });

    const iam = new HttpIamAuthorizer();
    const read = new HttpLambdaIntegration('Read', props.read);
    for (const path of READ_ROUTES) this.api.addRoutes({ path, methods: [HttpMethod.GET], integration: read, authorizer: iam });

    if (props.ingest) {
      const push = new HttpLambdaIntegration('Push', props.ingest);
      for (const path of PUSH_ROUTES) {
        const [route] = this.api.addRoutes({ path, methods: [HttpMethod.POST], integration: push, authorizer: new HttpNoneAuthorizer() });
        Validations.of(route!).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason:
            'Push senders (Statuspage webhooks, PSAP heartbeats, agency reports) cannot sign AWS requests; each source is authenticated in the ingest function (sha256 token compared in constant time and/or HMAC with a replay window), unknown sources get 404',
        });
      }
    }

    if (props.acks) {
      for (const route of this.api.addRoutes({ path: ACK_ROUTE, methods: [HttpMethod.GET, HttpMethod.POST], integration: new HttpLambdaIntegration('Ack', props.acks), authorizer: new HttpNoneAuthorizer() })) {
        Validations.of(route).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          'Acknowledgement links are opened from an email by agency staff, who cannot sign AWS requests; the link carries an HMAC-SHA256 signature over incident and recipient (the stack ack signing key), verified in constant time in the acks function before anything is read; a bad signature gets 401',
      });
      }
    }
  }

  /** https://<id>.execute-api.<region>.amazonaws.com (the $default stage has no path prefix). */
  get url(): string {
    return this.stage.url;
  }
}
