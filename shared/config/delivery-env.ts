import * as z from 'zod';

/**
 * The delivery part of the environment (Lambda, `dialtone run --deliver aws`, `dialtone roster
 * --aws`), validated at the boundary. Every value is optional: what is not configured is not used
 * (no SES identity: email deliveries fail visibly and stay on the record; no topic or bus: no
 * publication). The CDK stack passes these names.
 */
export const deliveryEnvSchema = z.object({
  /** E.164 origination identity (toll-free / 10DLC / short code) SMS are sent from. */
  SMS_ORIGINATION_NUMBER: z.string().regex(/^\+[1-9]\d{6,14}$/, 'E.164, e.g. +18335550100').optional(),
  /** SES identity: a verified address, or an address at a verified domain ('dialtone <alerts@example.org>' works). */
  SES_FROM_ADDRESS: z.string().min(3).optional(),
  /** Accepted as another name for SES_FROM_ADDRESS. */
  EMAIL_FROM: z.string().min(3).optional(),
  SES_CONFIGURATION_SET: z.string().min(1).optional(),
  /** The incidents SNS topic: every notice is published to it (MessageStructure json, attributes). */
  INCIDENT_TOPIC_ARN: z.string().regex(/^arn:aws[a-z-]*:sns:/, 'an SNS topic ARN').optional(),
  /** The EventBridge custom bus (name or ARN) for IncidentOpened.v1 and the other events. */
  EVENT_BUS_NAME: z.string().min(1).optional(),
});
export type DeliveryEnv = z.infer<typeof deliveryEnvSchema>;

export function readDeliveryEnv(env: NodeJS.ProcessEnv): DeliveryEnv {
  const parsed = deliveryEnvSchema.safeParse(env);
  if (!parsed.success) throw new Error(`environment: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}
