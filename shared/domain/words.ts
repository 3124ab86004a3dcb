import type { ServiceConfig } from '../config/schema.js';
import type { ServiceState } from './nena.js';

/** How messages (SMS, email, CAP) name a service state and a service kind: one vocabulary. */

const STATE_WORDS: Partial<Record<ServiceState, string>> = {
  Normal: 'back to normal',
  // Out of an outage while a maintenance window goes on.
  ScheduledMaintenanceAvailable: 'working, planned maintenance continues',
  Down: 'DOWN',
  Unreachable: 'UNREACHABLE',
  Unstaffed: 'UNSTAFFED',
  GoingDown: 'GOING DOWN',
  Overloaded: 'OVERLOADED',
  ScheduledMaintenanceDown: 'DOWN for maintenance',
  Partial: 'PARTIAL',
  MajorIncidentInProgress: 'handling a major incident',
  // A listed service whose monitor went blind mid-outage (the incident stays open).
  Unknown: 'status UNKNOWN (monitoring lost)',
};

export const stateWords = (s: ServiceState): string => STATE_WORDS[s] ?? s;

export const KIND_WORDS: Record<ServiceConfig['kind'], string> = {
  psap: '911 call delivery to the PSAP',
  voice: '911 voice calls',
  'text-to-911': 'text-to-911',
  'ali-ani': 'caller location (ALI/ANI)',
  'ng911-core': 'NG911 core services (routing)',
};
