/** Active checks we run ourselves (HTTP probe). */
export const probeSourceSchemas = [] as const;
