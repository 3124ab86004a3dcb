/** Every kind that pushes to us (webhooks, heartbeats, events). Add a kind here and its ingest in shared/app. */
export const pushSourceSchemas = [] as const;
