/** Agency and public feeds (RSS/Atom, CAP, NWS) and Microsoft 365 service health through Graph. */
export const feedSourceSchemas = [] as const;
