import * as z from 'zod';
import { polledSource } from './source-base.js';

/** One expected status: a code (200) or an inclusive range ("200-399"). */
const statusSpec = z.union([
  z.number().int().min(100).max(599),
  z.string().regex(/^[1-5]\d\d-[1-5]\d\d$/, 'a status range like "200-399"'),
]);

function compiles(pattern: string): boolean {
  try {
    new RegExp(pattern);
    return true;
  } catch {
    return false;
  }
}

/**
 * An HTTP check we run ourselves: the status code, the latency and optionally the body.
 * Unexpected status → major_outage; body not matching → partial_outage; slower than
 * maxLatencyMs → degraded; cannot connect or no answer in timeoutMs → major_outage (and the read
 * counts as failed for the egress check).
 */
export const httpProbeSource = polledSource('http-probe', z.object({}).strict(), {
  expectStatus: z.array(statusSpec).min(1).default(['200-399']).describe('status codes that mean healthy: codes or ranges, default 200-399'),
  maxLatencyMs: z.number().int().min(1).max(60_000).optional().describe('slower than this (headers and body) reads as degraded'),
  body: z
    .union([
      z.object({ contains: z.string().min(1).max(1000) }).strict(),
      z.object({ regex: z.string().min(1).max(200).refine(compiles, 'not a valid regular expression') }).strict(),
    ])
    .optional()
    .describe('the body (its first 64 KiB) must contain this text or match this regular expression'),
  followRedirects: z.boolean().default(false).describe('follow up to 3 redirects and judge the last response; default: judge the redirect itself'),
});

/** Active checks we run ourselves (HTTP probe). */
export const probeSourceSchemas = [httpProbeSource] as const;
