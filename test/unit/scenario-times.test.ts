import { withTimes } from '../../shared/cli/scenario.js';

/** Payload times relative to the replay, so one scenario works for any start. */
describe('time templates in scenario payloads', () => {
  const start = Date.parse('2026-11-02T15:00:00Z');
  const at = 40 * 60_000; // the step is served at +40m
  test.each([
    ['{{start}}', '2026-11-02T15:00:00.000Z'],
    ['{{at}}', '2026-11-02T15:40:00.000Z'],
    ['{{ at - 90s }}', '2026-11-02T15:38:30.000Z'],
    ['{{start+2h}}', '2026-11-02T17:00:00.000Z'],
    ['{{at-1.5h | rfc822}}', 'Mon, 02 Nov 2026 14:10:00 +0000'],
    ['{{at|epoch}}', String(Math.floor((start + at) / 1000))],
    ['{"updated_at": "{{at}}", "x": "{{not a template}}"}', '{"updated_at": "2026-11-02T15:40:00.000Z", "x": "{{not a template}}"}'],
  ])('%s → %s', (template, expected) => {
    expect(withTimes(Buffer.from(template), start, at, 'upstreams[0]', 'scn.yaml').toString()).toBe(expected);
  });

  test('a misspelt time template is an error naming the step and the template', () => {
    expect(() => withTimes(Buffer.from('{"t": "{{at+5x}}"}'), start, at, 'upstreams["https://status.example/api"][2]', 'scn.yaml')).toThrow(
      /scn\.yaml: 1 problem\(s\)\n {2}upstreams\["https:\/\/status\.example\/api"\]\[2\]: \{\{at\+5x\}\} is not a time template/,
    );
  });
});
