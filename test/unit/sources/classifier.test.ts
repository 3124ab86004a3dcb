import { classifyText, normalizeForClassifier, type TextLabel } from '../../../shared/sources/classifier.js';

/**
 * Table-driven: real-sounding agency posts (sheriff's offices, county ECCs, state 911 boards,
 * emergency management) with the label a dispatcher would give them. Phrases are checked for the
 * rows where the deciding wording matters.
 */
interface Case {
  text: string;
  label: TextLabel;
  /** A phrase (normalised) that must be among the deciding phrases. */
  phrase?: string;
}

const DOWN: Case[] = [
  { text: '911 is down in Anoka County. If you have an emergency, call 763-555-0142.', label: 'down', phrase: '911 is down' },
  { text: 'ALERT: We are currently experiencing a 911 outage. Please call our 10-digit line at (218) 555-0199 for emergencies.', label: 'down', phrase: '911 outage' },
  { text: 'The Sheriff\'s Office is currently unable to receive 911 calls due to a fiber cut. In an emergency please call 320-555-0110.', label: 'down', phrase: 'unable to receive 911 calls' },
  { text: 'URGENT: 9-1-1 lines are down across Lincoln County. Dial 507-555-0125 for emergencies.', label: 'down', phrase: '911 lines are down' },
  { text: 'Our E911 system is out of service. Residents should call 555-555-0100 until further notice.', label: 'down', phrase: '911 system is out of service' },
  { text: 'Callers in the city cannot reach 911 at this time. Call the police department directly at 612-555-0177.', label: 'down', phrase: 'cannot reach 911' },
  { text: '911 calls are not going through in Dakota County. Crews are on scene.', label: 'down', phrase: '911 calls are not going through' },
  { text: 'Please call the 10-digit emergency number 651-555-0199 instead of 911 until service is restored.', label: 'down' },
  { text: 'Statewide 911 outage: CenturyLink reports a failure affecting 911 service in several states.', label: 'down' },
  { text: 'We have lost 911 service at the Emergency Communications Center. Use 406-555-0150 for emergencies.', label: 'down', phrase: 'lost 911 service' },
  { text: 'Nine-one-one is currently not working for landline customers.', label: 'down', phrase: '911 is currently not working' },
  { text: 'If you cannot reach 911, call 715-555-0123 or go to the nearest fire station.', label: 'down', phrase: 'if you cannot reach 911' },
  { text: 'This is not a drill: 911 phone lines are down countywide.', label: 'down' },
  { text: 'UPDATE: 911 service remains down. Continue to use 555-555-0100.', label: 'down', phrase: '911 service remains down' },
];

const DEGRADED: Case[] = [
  { text: 'We are experiencing issues with 911. Some calls may not go through; if so, call 218-555-0111.', label: 'degraded', phrase: 'experiencing issues with 911' },
  { text: 'Text-to-911 is currently unavailable in Washington County. Please make a voice call to 911.', label: 'degraded', phrase: 'text-to-911 is currently unavailable' },
  { text: 'Some 911 calls from AT&T wireless customers are not going through.', label: 'degraded' },
  { text: 'The 911 system is experiencing intermittent issues this morning. Technicians are working on it.', label: 'degraded' },
  { text: 'Callers may experience busy signals when dialing 911. Please stay on the line.', label: 'degraded' },
  { text: 'Texting 911 is not working right now; call 911 if you can.', label: 'degraded' },
  { text: '911 calls are being rerouted to the Hennepin County ECC while we repair our phone system.', label: 'degraded' },
  { text: 'Voice 911 is back up. Text-to-911 remains unavailable while the vendor works on the issue.', label: 'degraded' },
];

const RESTORED: Case[] = [
  { text: 'UPDATE: 911 service has been restored. Thank you for your patience.', label: 'restored', phrase: '911 service has been restored' },
  { text: '911 is back up and running in Anoka County.', label: 'restored', phrase: '911 is back up' },
  { text: 'The 911 system is now operational. Calls are being received normally.', label: 'restored' },
  { text: 'RESOLVED: The issue affecting 911 calls has been resolved.', label: 'restored' },
  { text: '911 calls are being received again at the Dispatch Center.', label: 'restored' },
  { text: 'The earlier 911 outage has been resolved; you can now call 911 again.', label: 'restored' },
  { text: 'Text-to-911 has been restored.', label: 'restored' },
  { text: '911 service was down for about 40 minutes this morning because of a vendor fiber cut.', label: 'restored' },
  { text: 'All clear: 9-1-1 lines are back online after this morning’s outage.', label: 'restored' },
  { text: 'Our non-emergency line is down. 911 is not affected and is working normally.', label: 'restored' },
];

const NONE: Case[] = [
  { text: 'Congratulations to Sarah Jensen, our 911 Dispatcher of the Year!', label: 'none' },
  { text: 'Call 911 if you see downed power lines. Stay away from them.', label: 'none' },
  { text: 'There will be a test of the 911 system next Tuesday from 2 to 4 a.m.', label: 'none' },
  { text: 'Winter Storm Warning in effect until 6 PM. Roads are slick; travel only if necessary.', label: 'none' },
  { text: 'Please do not call 911 to report a power outage. Call Xcel Energy at 1-800-895-1999.', label: 'none' },
  { text: 'Xcel reports a power outage affecting 3,000 customers near Main St. Call 911 for emergencies only.', label: 'none' },
  { text: 'Our non-emergency line is down. Please call 911 only for emergencies.', label: 'none' },
  { text: 'What to do if 911 is down: keep your county’s 10-digit emergency number handy.', label: 'none' },
  { text: 'Rumors of a 911 outage are false. 911 lines are working.', label: 'restored' },
  { text: 'The FCC fined the carrier $3 million over last year\'s 911 outage.', label: 'none' },
  { text: 'Scheduled maintenance: 911 service will be briefly unavailable overnight Sunday.', label: 'none' },
  { text: 'National Public Safety Telecommunicators Week: thank a 911 dispatcher today!', label: 'none' },
  { text: 'In an emergency, call 911. For non-emergencies call 555-555-0100.', label: 'none' },
  { text: 'We are hiring! Apply to be a 911 telecommunicator by Friday.', label: 'none' },
  { text: 'Learn how to text 911 in an emergency when you cannot speak.', label: 'none' },
  { text: 'Kids: learn when to call 911 at our safety fair on Saturday.', label: 'none' },
  { text: 'Did you know? 911 calls from cell phones are routed by tower location.', label: 'none' },
  { text: 'The new 911 center opens Monday in the former courthouse annex.', label: 'none' },
  { text: 'Heat advisory: call 911 if someone shows signs of heat stroke.', label: 'none' },
  { text: 'A wireless carrier outage is affecting cell service downtown; landlines work.', label: 'none' },
  { text: 'A 911 outage drill will be conducted with neighbouring PSAPs this week.', label: 'none' },
  { text: 'We will post an update when 911 service is restored.', label: 'none' },
];

const TRICKY: Case[] = [
  // an outage post that promises restoration is still an outage
  { text: '911 is down. We will post an update once 911 service is restored.', label: 'down' },
  // restoration beats the outage it quotes
  { text: '911 service, which went down at 3 PM, has been restored.', label: 'restored' },
  // "non-emergency" is not an emergency line
  { text: 'Non-emergency lines are out of service; 911 is working normally.', label: 'restored' },
  // "down the hall" is not down
  { text: 'The new 911 center is down the hall from the Sheriff\'s office.', label: 'none' },
  // text-to-911 down while voice 911 is fine: partial, not fine
  { text: 'Text-to-911 is down; voice 911 calls are not affected.', label: 'degraded' },
  // partial qualifiers turn down into degraded
  { text: '911 is down for some Verizon customers in the north county.', label: 'degraded' },
  // entity-escaped HTML as feeds carry it
  { text: '&lt;p&gt;&lt;strong&gt;9&amp;#8209;1&amp;#8209;1 outage&lt;/strong&gt;&lt;/p&gt;', label: 'none' },
  { text: '<p><strong>9‑1‑1 outage</strong> in Polk County. Call 863-555-0101.</p>', label: 'down' },
  // a question is not a report
  { text: 'Was 911 down last night? No - the outage affected only non-emergency lines.', label: 'none' },
  { text: 'Is 911 down? Here is how to check.', label: 'none' },
  // a headline gives the subject to a subject-less update
  { text: '911 OUTAGE UPDATE: Service restored at 4:15 PM', label: 'restored', phrase: 'service restored' },
  // power restored is not 911 restored
  { text: '911 is down due to a power outage. Power has been restored to the area.', label: 'down' },
  // it happened again after an earlier restoration
  { text: 'Service restored earlier today. 911 is down again.', label: 'down' },
  // "downtown" is not "down"
  { text: 'Visit the 911 downtown office for records requests.', label: 'none' },
  // dispatch centre on generator, 911 works
  { text: 'The county 911 center lost power but is running on generator; 911 is working.', label: 'restored' },
  // a 911 call about an outage is not a 911 outage
  { text: 'Firefighters responded to a 911 call reporting a power outage on Elm St.', label: 'none' },
  { text: 'There was no 911 service interruption during the storm.', label: 'none' },
  // carrier-limited outage: partial
  { text: 'Verizon wireless customers unable to call 911 in parts of Texas', label: 'degraded' },
  // a cause that takes 911 down
  { text: 'CenturyLink outage affects 911 service in Minnesota', label: 'down', phrase: 'outage affects 911 service' },
  { text: 'A fiber cut knocked out 911 service in three counties.', label: 'down' },
  { text: 'Storm damage knocked out power; call 911 for emergencies.', label: 'none' },
  // texts are the text-to-911 path: partial
  { text: "Texts to 911 are not being delivered to the Sheriff's office at this time.", label: 'degraded' },
  // routine notices
  { text: 'Reminder: Call 911 for emergencies only. For non-emergency matters, call 763-555-0100.', label: 'none' },
  { text: 'Scheduled maintenance on 911 systems will take place tomorrow between 1 and 3 AM.', label: 'none' },
  { text: 'Our phones are down at the front desk. Call 911 for emergencies.', label: 'none' },
  { text: 'AT&T says 911 calls are going through normally after an earlier outage.', label: 'restored' },
];

const ALL = { DOWN, DEGRADED, RESTORED, NONE, TRICKY };

describe.each(Object.entries(ALL))('classifyText: %s', (_group, cases) => {
  test.each(cases.map((c) => [c.text, c] as const))('%s', (_t, c) => {
    const result = classifyText(c.text);
    expect({ label: result.label, phrases: result.phrases }).toEqual(expect.objectContaining({ label: c.label }));
    expect(result.confidence).toBeGreaterThanOrEqual(0);
    expect(result.confidence).toBeLessThanOrEqual(1);
    if (c.label !== 'none') expect(result.phrases.length).toBeGreaterThan(0);
    if (c.phrase) expect(result.phrases).toContain(c.phrase);
  });
});

test('there are at least 40 cases', () => {
  expect(Object.values(ALL).flat().length).toBeGreaterThanOrEqual(40);
});

describe('normalizeForClassifier', () => {
  test.each([
    ['9-1-1 lines', '911 lines'],
    ['9.1.1 service', '911 service'],
    ['Nine-One-One', '911'],
    ['E911 and E-911', '911 and 911'],
    ['Text to 9-1-1', 'text-to-911'],
    ['texting 911', 'text-to-911'],
    ['9‑1‑1 &amp; <b>more</b>', '911 & more'],
  ])('%s → %s', (input, output) => {
    expect(normalizeForClassifier(input)).toBe(output);
  });
});
