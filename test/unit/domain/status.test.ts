import { isTrouble, worstStatus, type Status } from '../../../shared/domain/status.js';

describe('the status scale', () => {
  test.each<[Status[], Status]>([
    [[], 'operational'],
    [['operational', 'degraded'], 'degraded'],
    [['partial_outage', 'major_outage', 'degraded'], 'major_outage'],
    [['maintenance', 'operational'], 'maintenance'],
    // Blind is reported only when nothing known is worse: a known outage beats not knowing.
    [['unknown', 'operational'], 'unknown'],
    [['unknown', 'maintenance'], 'unknown'],
    [['unknown', 'partial_outage'], 'partial_outage'],
  ])('worst of %j is %s', (statuses, worst) => {
    expect(worstStatus(statuses)).toBe(worst);
  });

  test.each<[Status, boolean]>([
    ['operational', false],
    ['maintenance', false],
    ['degraded', true],
    ['partial_outage', true],
    ['major_outage', true],
    ['unknown', false], // unknown is not healthy, but it is not trouble either: it means we are blind
  ])('%s is trouble: %s', (status, trouble) => {
    expect(isTrouble(status)).toBe(trouble);
  });
});
