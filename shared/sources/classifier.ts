/**
 * Free text (an agency feed item, a PSAP's post) → is it saying that 911 is down, degraded or
 * restored, or nothing about 911's state at all?
 *
 * Precision over recall: an unrelated post must never become an alert. So every rule is anchored
 * on a 911 subject ("911", "9-1-1", "E911", "emergency line(s)", "text-to-911") that the outage or
 * restoration wording is grammatically attached to — "911 lines are down", "unable to receive 911
 * calls", "911 service has been restored" — never "outage" and "911" merely in the same post
 * ("Call 911 to report a power outage" is none). Between the subject and the verb only a small
 * vocabulary of modifiers may appear (service, phone, lines, calls…), not arbitrary words.
 *
 * Rules (the first that applies decides):
 *  1. Per sentence, a hit is dropped when the sentence frames it as a test/drill, as planned or
 *     future ("scheduled 911 outage", "will be"), as hypothetical ("what to do if 911 is down"),
 *     as a question ("Is 911 down?"), as denied ("rumours of a 911 outage are false"), as
 *     history ("last year's 911 outage"), or — for restoration — as not yet done ("we will post
 *     when 911 is restored", "until 911 is restored" is itself outage wording).
 *  2. A down/degraded hit worded as ongoing ("still", "remains", "continues") or recurring
 *     ("down again") beats restoration ("911 is back up; text-to-911 remains unavailable" →
 *     degraded).
 *  3. Restoration wording (restored, back up/online, resolved, calls are being received again,
 *     "was down" in the past tense) beats outage wording in the same text: an update that quotes
 *     the outage it closes is a restoration. Beside a 911 outage hit, subject-less restoration
 *     counts too ("911 OUTAGE UPDATE: Service restored at 4:15"); "Power has been restored" not.
 *  4. Outage wording: down unless qualified (some, intermittent, partial, may…) → degraded;
 *     "experiencing issues with 911", text-to-911 unavailable, delays → degraded.
 *  5. "911 is not affected / working normally" says 911 is fine → restored, but only when no
 *     outage wording is present (it usually sits beside an outage of something else).
 * Confidence is the strongest deciding rule's weight, plus a little per corroborating hit, minus
 * a penalty when the text also holds opposite wording; for `none` it is how sure we are that
 * nothing decisive was said (lower when hits were dropped by a guard).
 */

export type TextLabel = 'down' | 'degraded' | 'restored' | 'none';

export interface Classification {
  label: TextLabel;
  /** 0..1 */
  confidence: number;
  /** The phrases (normalised text) that decided the label. */
  phrases: string[];
  /** Phrases that matched a rule but were dropped, and why (for `dialtone parse` and debugging). */
  ignored: { phrase: string; reason: string }[];
}

/** `context`: restoration wording without its own subject ("Service restored at 4:15"), counted only beside a 911 hit. */
type Kind = 'down' | 'degraded' | 'restored' | 'fine' | 'context';

interface Rule {
  kind: Kind;
  weight: number;
  re: RegExp;
  /** This rule's match opens with its own hypothetical "if" (e.g. "if you cannot reach 911"). */
  ownIf?: boolean;
}

interface Hit {
  kind: Kind;
  weight: number;
  phrase: string;
  sentence: number;
  ongoing: boolean;
}

// ── Normalisation ────────────────────────────────────────────────────────────────────────────

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', rsquo: "'", lsquo: "'", ldquo: '"', rdquo: '"', ndash: '-', mdash: '-' };

/** Lower-case plain text with every spelling of 911 folded to "911" and text-to-911 to one token. */
export function normalizeForClassifier(text: string): string {
  return (
    text
      .replace(/<[^>]*>/g, ' ')
      .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, e: string) => {
        if (e[0] === '#') {
          const code = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
          return Number.isFinite(code) && code > 0 && code < 0x110000 ? String.fromCodePoint(code) : ' ';
        }
        return ENTITIES[e.toLowerCase()] ?? m;
      })
      .toLowerCase()
      .replace(/[\u2010-\u2015\u2212]/g, '-')
      .replace(/[\u2018\u2019\u02bc]/g, "'")
      .replace(/[\u201c\u201d]/g, '"')
      .replace(/\s+/g, ' ')
      // 9-1-1, 9.1.1, 9 1 1, nine-one-one, e911, e-911 → 911
      .replace(/\bnine[- ]one[- ]one\b/g, '911')
      .replace(/\b9\s?[-.]?\s?1\s?[-.]?\s?1\b/g, '911')
      .replace(/\be-?911\b/g, '911')
      .replace(/\b(?:txt|text)(?:s|ing)?(?: messages?)?[- ]?(?:to[- ]?)?911\b/g, 'text-to-911')
      .trim()
  );
}

/** Sentences (also split on line breaks, semicolons and " - " dashes used as separators in posts). */
function sentences(normalized: string): string[] {
  return normalized
    .split(/(?<=[.!?;:])\s+|\s+[-|]\s+|\s*\n\s*/)
    .map((s) => s.trim())
    .filter(Boolean);
}

// ── Vocabulary ───────────────────────────────────────────────────────────────────────────────

/** Words that may sit between the 911 subject and its verb/noun ("911 phone lines", "911 call center"). */
const MOD =
  '(?:text-to-911|phone|telephone|service|services|system|systems|line|lines|network|networks|call|calls|calling|dispatch|center|centre|centers|communications|trunk|trunks|circuit|circuits|emergency|voice|landline|wireless|cellular|cell|and|&|non-emergency|administrative|admin|access|connectivity|routing)(?![\\w-])';
/** The 911 subject itself; not text-to-911 (its own rules), not "non-emergency line". */
const SUBJECT = "(?:(?<![\\w-])911(?![\\w-])|(?<!non[- ]?)emergency (?:phone |telephone )?(?:line|lines|number|numbers|calls|calling|communications)|(?<!non[- ]?)emergency services (?:line|lines|number))";
/** "911", "911 phone lines", "the 911 call center", "911 and non-emergency lines" */
const NP = `${SUBJECT}(?: ${MOD}){0,4}`;
const TEXT = '(?<![\\w-])text-to-911(?: (?:service|services|system))?';
const BE = "(?:is|are|has been|have been|remains|remain|is still|are still|is currently|are currently|currently|still|continues to be|continue to be)";
const DOWN =
  "(?:down(?! to\\b| the (?:hall|street|road)\\b| by\\b)|out of service|out of order|out(?! (?:of|for|there|to|on|and)\\b)|offline|off-line|unavailable|not available|not working|inoperable|inoperative|dead|not functioning|not operational|not operating|non-functional|nonfunctional|disrupted|interrupted|failing|experiencing (?:a |an )?(?:total |complete |major |widespread |county-?wide |full )?outage)";
const OUTAGE_NOUN = '(?:outage|outages|service outage|failure|failures|disruption|disruptions|interruption|interruptions|blackout)';
const CANT = "(?:unable to|cannot|can ?not|can't|could not|couldn't|not able to|are unable to|is unable to)";
const ISSUES = '(?:issues|issue|problems|problem|difficulties|difficulty|trouble|technical difficulties|technical issues|an issue|a problem|an outage|connectivity issues|intermittent issues)';
const PHONE = '(?:\\(?\\d{3}\\)?[-. ]?\\d{3}[-. ]\\d{4}|(?:our |the |a )?(?:10|ten)-digit(?: emergency| non-emergency| backup| alternate| temporary)? (?:number|line|phone number)|(?:our |the |this )?(?:backup|alternate|temporary) (?:number|line|phone number))';
const RESTORED_STATE =
  '(?:restored|fully restored|back up|back online|back on ?line|back in service|back to normal|up and running|operational again|working again|functioning again|now operational|fully operational|resolved|repaired|fixed)';
const FINE_STATE = '(?:not affected|unaffected|not impacted|working normally|functioning normally|operating normally|working as normal|working properly|operational|available|working\\b(?! on| to))';

// Every rule ends on a whole word ("911 down" is not "911 downtown").
const r = (kind: Kind, weight: number, source: string, ownIf = false): Rule => ({ kind, weight, re: new RegExp(`${source}(?![\\w])`, 'g'), ownIf });

const RULES: Rule[] = [
  // ── down ──
  r('down', 0.9, `${NP} ${BE}? ?(?:completely |totally |temporarily )?${DOWN}`),
  r('down', 0.85, `${NP} (?:went|goes|has gone|have gone|is going) (?:down|out|offline)`),
  r('down', 0.85, `(?:${NP} )?${NP} ${OUTAGE_NOUN}`),
  r('down', 0.8, `${OUTAGE_NOUN} (?:of|affecting|impacting|to|involving|with) (?:the |our |all |some |local |county |regional |area )?${NP}`),
  r('down', 0.8, `(?:${OUTAGE_NOUN}|fiber cut|cable cut|cut|storm|issue|problem|failure)s? (?:\\w+ )?(?:affects|affecting|affected|impacts|impacting|impacted|disrupts|disrupting|disrupted|knocks out|knocked out|knocking out|took down|takes down|has taken down|brought down|interrupts|interrupted) (?:the |some |local |all |statewide |our |county |regional )?${NP}`),
  r('down', 0.85, `(?:loss of|lost|losing|lose) (?:all |our |the )?${NP}`),
  r('down', 0.9, `${CANT} (?:receive|take|accept|answer|process|route|complete|place|make|connect|transfer|get|handle) (?:any |incoming |new |some )?${NP}`),
  r('down', 0.9, `${CANT} (?:reach|call|dial|get through to|get through on|connect to|contact|get ahold of) ${NP}`),
  r('down', 0.8, `if you (?:cannot|can ?not|can't|are unable to|are not able to) (?:reach|get through to|connect to|call|dial) ${NP}`, true),
  r('down', 0.9, `${NP} (?:are |is |were |could |can |will )?(?:not|n't|no longer|cannot|can't) (?:go(?:ing)? through|be(?:ing)? (?:received|answered|completed|routed|connected|delivered|transferred|placed)|connect(?:ing)?|complet(?:e|ing)|ring(?:ing)?|reach(?:ing)?)`),
  r('down', 0.8, `\\bno ${SUBJECT} service\\b(?! (?:interruption|interruptions|outage|outages|disruption|disruptions|impact|issues?|problems?)\\b)`),
  r('down', 0.7, `(?:call|dial|use) (?:our |the )?(?:10|ten)-digit emergency (?:number|line|phone number)`),
  r('down', 0.85, `${NP} (?:from|for|by|on|in) (?:[\\w&'-]+ ){1,4}(?:are |is |were )?(?:not|n't|no longer|cannot|can't) (?:go(?:ing)? through|be(?:ing)? (?:received|answered|completed|connected)|connect(?:ing)?|complet(?:e|ing))`),
  r('down', 0.85, `${NP} (?:are |is )?(?:failing|being dropped|dropping|going unanswered|rolling to busy|ringing busy)`),
  r('down', 0.75, `(?:in an emergency|in case of (?:an )?emergency|for (?:an )?emergenc(?:y|ies)|if you have an emergency|if you need emergency (?:help|assistance|services))[, ]+(?:please )?(?:call|dial) ${PHONE}`),
  r('down', 0.75, `(?:call|dial|use) ${PHONE}[^.]{0,60}?(?:instead of|in place of|until|while|rather than) ${NP}`),
  r('down', 0.8, `until ${NP} (?:is |are |has been |have been )?(?:restored|back up|back online|repaired|fixed)`),
  // ── degraded ──
  r('degraded', 0.8, `(?:experiencing|having|aware of|investigating|reports? of|reporting|seeing|working on|dealing with) (?:some |intermittent |technical |ongoing |possible |sporadic |minor |major |widespread )?${ISSUES} (?:with|affecting|impacting|on|in|involving) (?:the |our |some |incoming |local |county )?${NP}`),
  r('degraded', 0.8, `${NP} ${BE}? ?(?:experiencing|having) (?:some |intermittent |technical |ongoing |sporadic |minor )?${ISSUES}`),
  r('degraded', 0.75, `(?:intermittent|sporadic|partial|degraded|delayed|limited) ${NP}`),
  r('degraded', 0.75, `${NP} (?:may be|are|is|may|might|could) (?:be )?(?:delayed|intermittent|degraded|slow|dropped|experiencing delays)`),
  r('degraded', 0.75, `${NP} (?:may|might) not (?:go through|connect|be received|be answered|complete|reach)`),
  r('degraded', 0.75, `${NP} (?:are|is) (?:being |temporarily |currently )?(?:rerouted|re-routed|diverted|rolled over|rolling over|forwarded) to`),
  r('degraded', 0.75, `busy signals? when (?:calling|dialing|dialling) 911`),
  r('degraded', 0.75, `(?:location|caller location|ali|ani|caller id|callback number)(?: information| data)? (?:is |are )?(?:not|n't) (?:being )?(?:delivered|displayed|received|available|showing)(?: to| for| on)? (?:the )?${NP}`),
  r('degraded', 0.85, `${TEXT} ${BE}? ?(?:temporarily )?(?:down|unavailable|not available|not working|out of service|offline|disrupted|interrupted|experiencing (?:an )?(?:outage|issues|problems))`),
  r('degraded', 0.85, `${TEXT} (?:${OUTAGE_NOUN}|is going down|went down)`),
  r('degraded', 0.85, `${TEXT} (?:are |is |were )?(?:not|n't|no longer|cannot|can't) (?:being )?(?:delivered|received|going through|go through|working|answered|reaching)`),
  r('degraded', 0.8, `${CANT} (?:send|receive|accept|process) (?:any )?(?:texts|text messages|sms)(?: messages)? (?:to|from|via) 911`),
  // ── restored ──
  r('restored', 0.9, `${NP}(?:, [^,]{1,60},)? (?:${MOD} )?(?:has|have|is|are|was|were)? ?(?:been |now |once again |again )?(?:fully |now |successfully |completely )?${RESTORED_STATE}`),
  r('restored', 0.85, `${NP} (?:is|are) (?:now |once again )?back\\b`),
  r('restored', 0.85, `(?:restored|restoration of|repaired|fixed|re-?established) (?:the |all |full |our )?${NP}`),
  r('restored', 0.85, `${NP} (?:are|is) (?:now |again |once again )?(?:being (?:received|answered|routed|completed|connected)|going through|connecting|completing)(?: normally| again| as normal| as usual)?`),
  r('restored', 0.85, `(?:${ISSUES}|outage|outages|disruption|interruption) (?:with|affecting|impacting|involving|to|of) (?:the |our |some )?${NP} (?:has|have|is|are) (?:been |now )?(?:resolved|fixed|corrected|restored|cleared|over|ended)`),
  r('restored', 0.85, `${NP} (?:${OUTAGE_NOUN}|issue|issues|problem|problems) (?:has|have|is|are)? ?(?:been |now )?(?:resolved|fixed|corrected|cleared|over|ended)`),
  r('restored', 0.8, `(?:you|residents|callers|the public) (?:can|may) (?:now |again |once again )(?:call|reach|dial|text) 911`),
  r('restored', 0.8, `(?:you|residents|callers|the public) (?:can|may) (?:call|reach|dial|text) 911 (?:again|normally|as (?:normal|usual))`),
  r('restored', 0.8, `${TEXT} (?:has|have|is|are)? ?(?:been |now )?(?:fully )?${RESTORED_STATE}`),
  r('restored', 0.6, `${NP} (?:was|were|had been) (?:briefly |temporarily |partially )?(?:down|out of service|offline|unavailable|disrupted|interrupted|not working)`),
  r('context', 0.7, `(?:^|\\b(?:service|services|lines|phone lines|calls|it|the system|the issue|the outage|the problem|all lines|all services) )(?:has |have |is |are )?(?:been |now )?(?:fully |now )?(?:restored|back up|back online|back in service|resolved)`),
  // ── fine (911 works; only when no outage wording sits beside it) ──
  r('fine', 0.6, `${NP} (?:${MOD} )?${BE}? ?(?:not affected|unaffected|not impacted|working normally|functioning normally|operating normally|working as normal|working properly|fully operational|operational and available)`),
  r('fine', 0.55, `${NP} (?:remain|remains|is still|are still|is|are) ${FINE_STATE}`),
];

// ── Guards: per sentence, drop hits the sentence frames as not-now or not-real ────────────────

const GUARDS: { reason: string; re: RegExp; where: 'before' | 'sentence'; applies: Kind[] }[] = [
  { reason: 'question', re: /\?\s*$/, where: 'sentence', applies: ['down', 'degraded', 'restored', 'fine', 'context'] },
  { reason: 'test or drill', re: /(?<!not an? |isn't an? )\b(?:test|tests|testing|drill|drills|exercise|exercises|simulation|simulated|mock)\b/, where: 'sentence', applies: ['down', 'degraded', 'restored'] },
  { reason: 'planned or future', re: /\b(?:will be|will go|will experience|would be|scheduled|planned|plan to|planning|upcoming|expected to be|is expected|are expected|next (?:week|month|year|monday|tuesday|wednesday|thursday|friday|saturday|sunday)|tomorrow|later (?:today|tonight|this week)|maintenance window)\b/, where: 'before', applies: ['down', 'degraded', 'restored'] },
  { reason: 'hypothetical', re: /\b(?:if|in the event|in case of|in case|should|what to do|how to|whether|ever|prepare|prepared|preparedness|could|would)\b/, where: 'before', applies: ['down', 'degraded', 'restored', 'fine'] },
  { reason: 'not yet restored', re: /\b(?:when|once|as soon as|until|till|before|after|by the time|soon|expect|expects|expected|hope|hopes|hoping|work(?:ing)? to)\b/, where: 'before', applies: ['restored', 'context'] },
  { reason: 'denied', re: /\b(?:no|not|never|false|untrue|unfounded|rumou?rs?|misinformation|hoax|incorrect|inaccurate|debunk\w*)\b/, where: 'before', applies: ['down', 'degraded'] },
  { reason: 'denied', re: /\b(?:is|are|was|were) (?:false|untrue|not true|unfounded|incorrect|inaccurate)\b|\brumou?rs?\b|\bhoax\b|\bmisinformation\b/, where: 'sentence', applies: ['down', 'degraded'] },
  { reason: 'history', re: /\b(?:last (?:year|month|week|summer|winter|spring|fall)|years? ago|months ago|anniversary|report (?:on|into|about)|investigation|investigating the cause of (?:last|the \w+ \d)|lawsuit|fine[sd]?|fining|settlement|penalt(?:y|ies)|lessons learned|after-action|commemorat\w*|history of|in (?:19|20)\d\d)\b/, where: 'sentence', applies: ['down', 'degraded', 'restored', 'fine'] },
];

/** Words around a down hit that make it partial. */
const PARTIAL = /\b(?:some|several|certain|a few|partial|partially|intermittent|intermittently|sporadic|limited|parts? of|portions? of|may|might|a number of|isolated|select)\b/;
const ONGOING = /\b(?:still|remains?|remaining|continues?|continuing|ongoing)\b/;
/** After a down hit: it happened again (beats an earlier restoration in the same text). */
const AGAIN = /^\s*(?:\w+ )?(?:again|once again)\b/;

function words(text: string, count: number, from: 'start' | 'end'): string {
  const w = text.trim().split(' ').filter(Boolean);
  return (from === 'end' ? w.slice(-count) : w.slice(0, count)).join(' ');
}

function clamp(n: number): number {
  return Math.round(Math.max(0, Math.min(1, n)) * 100) / 100;
}

export function classifyText(text: string): Classification {
  const normalized = normalizeForClassifier(text);
  const hits: Hit[] = [];
  const ignored: Classification['ignored'] = [];

  sentences(normalized).forEach((sentence, index) => {
    const taken: [number, number][] = [];
    for (const rule of RULES) {
      rule.re.lastIndex = 0;
      for (const m of sentence.matchAll(rule.re)) {
        const start = m.index;
        const end = start + m[0].length;
        const phrase = m[0].trim();
        // A longer, earlier rule already explained these words (rules are ordered per kind).
        if (taken.some(([s, e]) => start >= s && end <= e) && rule.kind !== 'restored' && rule.kind !== 'fine') continue;
        // Only the clause the hit sits in counts as "before" (a comma or "but" ends a clause).
        const before = sentence.slice(0, start).split(/,|\bbut\b|\band\b(?= (?:911|text-to-911|we|the))/).pop() ?? '';
        const guard = GUARDS.find((g) => {
          if (!g.applies.includes(rule.kind)) return false;
          if (g.where === 'sentence') return g.re.test(sentence);
          const window = g.reason === 'denied' ? words(before, 3, 'end') : before;
          if (rule.ownIf && g.reason === 'hypothetical') return g.re.test(before);
          return g.re.test(window);
        });
        if (guard) {
          ignored.push({ phrase, reason: guard.reason });
          continue;
        }
        taken.push([start, end]);
        let kind = rule.kind;
        const around = `${words(before, 3, 'end')} ${phrase} ${words(sentence.slice(end), 4, 'start')}`;
        if (kind === 'down' && PARTIAL.test(around)) kind = 'degraded';
        const ongoing =
          (kind === 'down' || kind === 'degraded') && (ONGOING.test(`${words(before, 2, 'end')} ${phrase}`) || AGAIN.test(sentence.slice(end)));
        hits.push({ kind, weight: rule.weight, phrase, sentence: index, ongoing });
      }
    }
  });

  return decide(hits, ignored);
}

function decide(hits: Hit[], ignored: Classification['ignored']): Classification {
  const of = (...kinds: Kind[]) => hits.filter((h) => kinds.includes(h.kind));
  const outage = of('down', 'degraded');
  // Subject-less restoration ("Update: service restored") speaks about the 911 outage beside it.
  const restored = outage.length > 0 ? of('restored', 'context') : of('restored');
  const ongoing = outage.filter((h) => h.ongoing);

  const result = (label: TextLabel, deciding: Hit[], opposite: Hit[]): Classification => {
    const strongest = Math.max(...deciding.map((h) => h.weight));
    const corroboration = 0.05 * (new Set(deciding.map((h) => h.phrase)).size - 1);
    const conflict = opposite.length > 0 ? 0.15 : 0;
    return { label, confidence: clamp(strongest + corroboration - conflict), phrases: unique(deciding.map((h) => h.phrase)), ignored };
  };
  const outageLabel = (list: Hit[]): TextLabel => (list.some((h) => h.kind === 'down') ? 'down' : 'degraded');

  if (ongoing.length > 0) return result(outageLabel(ongoing), ongoing, restored);
  if (restored.length > 0) return result('restored', restored, outage);
  if (outage.length > 0) {
    const label = outageLabel(outage);
    return result(label, outage.filter((h) => h.kind === label), of('fine'));
  }
  const fine = of('fine');
  if (fine.length > 0) return result('restored', fine, []);
  return { label: 'none', confidence: ignored.length > 0 ? 0.6 : 0.95, phrases: [], ignored };
}

function unique(list: string[]): string[] {
  return [...new Set(list)];
}
