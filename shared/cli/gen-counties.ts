/**
 * Generates shared/domain/counties.data.json (`npm run counties`): every US county and
 * county-equivalent by 5-digit FIPS, with its bare name, state postal code and (when it is not a
 * county) its kind. See shared/domain/counties.ts for how it is used.
 *
 * Source: us-atlas 3.0.1 `counties-10m.json` (objects.counties: id = 5-digit FIPS,
 * properties.name; objects.states: id = 2-digit FIPS, properties.name), read with
 * topojson-client. us-atlas is built from the Census 2017 cartographic boundary files, so the
 * override table below brings it up to date. test/unit/counties.test.ts regenerates the file in
 * memory and compares it with the committed one.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { feature } from 'topojson-client';
import type { GeometryCollection, Topology } from 'topojson-specification';
import type { CountyEntry, CountyKind } from '../domain/counties.js';

export const COUNTIES_DATA_FILE = resolve(__dirname, '../domain/counties.data.json');

/**
 * State FIPS (INCITS 38) → USPS code, and the name us-atlas gives the state (checked, so a typo
 * in a code cannot pass silently). 03, 07, 14, 43 and 52 are unused.
 */
export const STATES: Readonly<Record<string, readonly [usps: string, name: string]>> = {
  '01': ['AL', 'Alabama'], '02': ['AK', 'Alaska'], '04': ['AZ', 'Arizona'], '05': ['AR', 'Arkansas'],
  '06': ['CA', 'California'], '08': ['CO', 'Colorado'], '09': ['CT', 'Connecticut'], '10': ['DE', 'Delaware'],
  '11': ['DC', 'District of Columbia'], '12': ['FL', 'Florida'], '13': ['GA', 'Georgia'], '15': ['HI', 'Hawaii'],
  '16': ['ID', 'Idaho'], '17': ['IL', 'Illinois'], '18': ['IN', 'Indiana'], '19': ['IA', 'Iowa'],
  '20': ['KS', 'Kansas'], '21': ['KY', 'Kentucky'], '22': ['LA', 'Louisiana'], '23': ['ME', 'Maine'],
  '24': ['MD', 'Maryland'], '25': ['MA', 'Massachusetts'], '26': ['MI', 'Michigan'], '27': ['MN', 'Minnesota'],
  '28': ['MS', 'Mississippi'], '29': ['MO', 'Missouri'], '30': ['MT', 'Montana'], '31': ['NE', 'Nebraska'],
  '32': ['NV', 'Nevada'], '33': ['NH', 'New Hampshire'], '34': ['NJ', 'New Jersey'], '35': ['NM', 'New Mexico'],
  '36': ['NY', 'New York'], '37': ['NC', 'North Carolina'], '38': ['ND', 'North Dakota'], '39': ['OH', 'Ohio'],
  '40': ['OK', 'Oklahoma'], '41': ['OR', 'Oregon'], '42': ['PA', 'Pennsylvania'], '44': ['RI', 'Rhode Island'],
  '45': ['SC', 'South Carolina'], '46': ['SD', 'South Dakota'], '47': ['TN', 'Tennessee'], '48': ['TX', 'Texas'],
  '49': ['UT', 'Utah'], '50': ['VT', 'Vermont'], '51': ['VA', 'Virginia'], '53': ['WA', 'Washington'],
  '54': ['WV', 'West Virginia'], '55': ['WI', 'Wisconsin'], '56': ['WY', 'Wyoming'],
  '60': ['AS', 'American Samoa'], '66': ['GU', 'Guam'], '69': ['MP', 'Commonwealth of the Northern Mariana Islands'],
  '72': ['PR', 'Puerto Rico'], '78': ['VI', 'United States Virgin Islands'],
};

/**
 * Alaska has no counties: boroughs, census areas (the unorganized borough), cities and
 * boroughs, and municipalities. Every Alaska code us-atlas or the overrides carry must be here;
 * the generator fails on one that is not.
 */
const ALASKA_KINDS: Readonly<Record<string, CountyKind>> = {
  '02013': 'borough', // Aleutians East
  '02016': 'census-area', // Aleutians West
  '02020': 'municipality', // Anchorage
  '02050': 'census-area', // Bethel
  '02060': 'borough', // Bristol Bay
  '02063': 'census-area', // Chugach (2019)
  '02066': 'census-area', // Copper River (2019)
  '02068': 'borough', // Denali
  '02070': 'census-area', // Dillingham
  '02090': 'borough', // Fairbanks North Star
  '02100': 'borough', // Haines
  '02105': 'census-area', // Hoonah-Angoon
  '02110': 'city-and-borough', // Juneau
  '02122': 'borough', // Kenai Peninsula
  '02130': 'borough', // Ketchikan Gateway
  '02150': 'borough', // Kodiak Island
  '02158': 'census-area', // Kusilvak
  '02164': 'borough', // Lake and Peninsula
  '02170': 'borough', // Matanuska-Susitna
  '02180': 'census-area', // Nome
  '02185': 'borough', // North Slope
  '02188': 'borough', // Northwest Arctic
  '02195': 'borough', // Petersburg
  '02198': 'census-area', // Prince of Wales-Hyder
  '02220': 'city-and-borough', // Sitka
  '02230': 'municipality', // Skagway
  '02240': 'census-area', // Southeast Fairbanks
  '02275': 'city-and-borough', // Wrangell
  '02282': 'city-and-borough', // Yakutat
  '02290': 'census-area', // Yukon-Koyukuk
};

/** Independent cities outside Virginia (in Virginia every county code from 510 up is a city). */
const INDEPENDENT_CITIES = new Set(['24510' /* Baltimore */, '29510' /* St. Louis */, '32510' /* Carson City */]);

/** The kind of a county-equivalent from its code; undefined for an ordinary county. */
export function kindOf(fips: string): CountyKind | undefined {
  const state = fips.slice(0, 2);
  switch (state) {
    case '02': {
      const kind = ALASKA_KINDS[fips];
      if (!kind) throw new Error(`gen-counties: Alaska ${fips} has no kind in ALASKA_KINDS; add it`);
      return kind;
    }
    case '11':
      return 'federal-district';
    case '22':
      return 'parish';
    case '51':
      return Number(fips.slice(2)) >= 510 ? 'independent-city' : undefined;
    case '60':
      return 'district';
    case '66':
      return 'territory';
    case '69':
      return 'municipality';
    case '72':
      return 'municipio';
    case '78':
      return 'island';
    default:
      return INDEPENDENT_CITIES.has(fips) ? 'independent-city' : undefined;
  }
}

/**
 * Changes since the us-atlas vintage (Census 2017). Codes and dates: Census Federal Register
 * notices 2020-27459 and 2022-12063 (Connecticut's planning regions).
 *
 * Names marked [verify] come from secondary sources: each agrees across three independent public
 * lists (GENC update notes, NWS county tables, Census-derived data pipelines), but has not been
 * checked against a primary Census file (the 2023 gazetteer) from here. Bare names, as us-atlas
 * spells every other county: the kind supplies "Planning Region" / "Census Area".
 */
export const OVERRIDES: { remove: readonly string[]; add: Readonly<Record<string, CountyEntry>> } = {
  remove: [
    // Connecticut's eight legacy counties, retired as county-equivalents in 2022.
    '09001', // Fairfield
    '09003', // Hartford
    '09005', // Litchfield
    '09007', // Middlesex
    '09009', // New Haven
    '09011', // New London
    '09013', // Tolland
    '09015', // Windham
    // Valdez-Cordova Census Area, split in 2019.
    '02261',
  ],
  add: {
    '09110': { name: 'Capitol', state: 'CT', kind: 'planning-region' }, // [verify]
    '09120': { name: 'Greater Bridgeport', state: 'CT', kind: 'planning-region' }, // [verify]
    '09130': { name: 'Lower Connecticut River Valley', state: 'CT', kind: 'planning-region' }, // [verify]
    '09140': { name: 'Naugatuck Valley', state: 'CT', kind: 'planning-region' }, // [verify]
    '09150': { name: 'Northeastern Connecticut', state: 'CT', kind: 'planning-region' }, // [verify]
    '09160': { name: 'Northwest Hills', state: 'CT', kind: 'planning-region' }, // [verify]
    '09170': { name: 'South Central Connecticut', state: 'CT', kind: 'planning-region' }, // [verify]
    '09180': { name: 'Southeastern Connecticut', state: 'CT', kind: 'planning-region' }, // [verify]
    '09190': { name: 'Western Connecticut', state: 'CT', kind: 'planning-region' }, // [verify]
    '02063': { name: 'Chugach', state: 'AK', kind: 'census-area' }, // [verify]
    '02066': { name: 'Copper River', state: 'AK', kind: 'census-area' }, // [verify]
  },
};

interface Named {
  name: string;
}

function readAtlas(): Topology {
  return JSON.parse(readFileSync(require.resolve('us-atlas/counties-10m.json'), 'utf8')) as Topology;
}

/** The county table, from us-atlas plus the overrides, keyed and ordered by FIPS. */
export function generateCounties(topology: Topology = readAtlas()): Record<string, CountyEntry> {
  const features = (name: string) => feature<Named>(topology, topology.objects[name] as GeometryCollection<Named>).features;
  for (const s of features('states')) {
    const known = STATES[String(s.id)];
    if (!known) throw new Error(`gen-counties: us-atlas has state ${s.id} (${s.properties.name}), which STATES does not list`);
    if (known[1] !== s.properties.name) throw new Error(`gen-counties: state ${s.id} is "${s.properties.name}" in us-atlas, "${known[1]}" in STATES`);
  }
  const counties = features('counties');
  const atlasIds = new Set(counties.map((c) => String(c.id)));
  const out = new Map<string, CountyEntry>();
  for (const c of counties) {
    const fips = String(c.id);
    if (!/^\d{5}$/.test(fips)) throw new Error(`gen-counties: county id "${fips}" is not a 5-digit FIPS code`);
    if (out.has(fips)) throw new Error(`gen-counties: county ${fips} appears twice`);
    if (OVERRIDES.remove.includes(fips)) continue;
    const state = STATES[fips.slice(0, 2)];
    if (!state) throw new Error(`gen-counties: county ${fips} (${c.properties.name}) is in an unknown state`);
    const name = c.properties.name.trim();
    if (!name) throw new Error(`gen-counties: county ${fips} has no name`);
    const kind = kindOf(fips);
    out.set(fips, { name, state: state[0], ...(kind ? { kind } : {}) });
  }
  for (const fips of OVERRIDES.remove) {
    if (!atlasIds.has(fips)) throw new Error(`gen-counties: override removes ${fips}, which us-atlas does not have (stale override?)`);
  }
  for (const [fips, entry] of Object.entries(OVERRIDES.add)) {
    if (out.has(fips)) throw new Error(`gen-counties: override adds ${fips}, which us-atlas already has (stale override?)`);
    if (STATES[fips.slice(0, 2)]?.[0] !== entry.state) throw new Error(`gen-counties: override ${fips} says state ${entry.state}`);
    if (fips.startsWith('02') && kindOf(fips) !== entry.kind) throw new Error(`gen-counties: override ${fips} disagrees with ALASKA_KINDS`);
    out.set(fips, entry);
  }
  return Object.fromEntries([...out].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** One county a line, so a change shows up as a one-line diff. */
export function serializeCounties(counties: Record<string, CountyEntry>): string {
  const lines = Object.entries(counties).map(([fips, c]) => `  ${JSON.stringify(fips)}: ${JSON.stringify({ name: c.name, state: c.state, ...(c.kind ? { kind: c.kind } : {}) })}`);
  return `{\n${lines.join(',\n')}\n}\n`;
}

if (require.main === module) {
  const counties = generateCounties();
  writeFileSync(COUNTIES_DATA_FILE, serializeCounties(counties));
  const byState = Object.values(counties).reduce<Record<string, number>>((m, c) => ({ ...m, [c.state]: (m[c.state] ?? 0) + 1 }), {});
  console.log(`wrote ${COUNTIES_DATA_FILE}: ${Object.keys(counties).length} counties and equivalents in ${Object.keys(byState).length} states and territories`);
}
