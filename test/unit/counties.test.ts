import { readFileSync } from 'node:fs';
import { COUNTIES_DATA_FILE, generateCounties, serializeCounties } from '../../shared/cli/gen-counties.js';
import { validateConfig } from '../../shared/config/load.js';
import { COUNTY_KINDS, county, countyCodes, countyLabel, retiredCountyNote } from '../../shared/domain/counties.js';
import { testConfig } from '../support/config.js';

describe('counties by FIPS', () => {
  test('the committed data file is exactly what the generator makes from us-atlas and the overrides', () => {
    expect(readFileSync(COUNTIES_DATA_FILE, 'utf8')).toBe(serializeCounties(generateCounties()));
  });

  test.each([
    ['27053', 'Hennepin', 'MN', 'Hennepin County, MN'],
    ['04013', 'Maricopa', 'AZ', 'Maricopa County, AZ'],
    ['06069', 'San Benito', 'CA', 'San Benito County, CA'],
    ['11001', 'District of Columbia', 'DC', 'District of Columbia'],
    ['09110', 'Capitol', 'CT', 'Capitol Planning Region, CT'],
    ['09190', 'Western Connecticut', 'CT', 'Western Connecticut Planning Region, CT'],
    ['02063', 'Chugach', 'AK', 'Chugach Census Area, AK'],
    ['02066', 'Copper River', 'AK', 'Copper River Census Area, AK'],
    ['02020', 'Anchorage', 'AK', 'Anchorage Municipality, AK'],
    ['02110', 'Juneau', 'AK', 'Juneau City and Borough, AK'],
    ['02090', 'Fairbanks North Star', 'AK', 'Fairbanks North Star Borough, AK'],
    ['22071', 'Orleans', 'LA', 'Orleans Parish, LA'],
    ['51760', 'Richmond', 'VA', 'Richmond city, VA'],
    ['51159', 'Richmond', 'VA', 'Richmond County, VA'],
    ['24510', 'Baltimore', 'MD', 'Baltimore city, MD'],
    ['29510', 'St. Louis', 'MO', 'St. Louis city, MO'],
    ['32510', 'Carson City', 'NV', 'Carson City, NV'],
    ['35013', 'Doña Ana', 'NM', 'Doña Ana County, NM'],
    ['72127', 'San Juan', 'PR', 'San Juan Municipio, PR'],
    ['66010', 'Guam', 'GU', 'Guam'],
    ['78010', 'St. Croix', 'VI', 'St. Croix Island, VI'],
  ])('%s is %s, %s: "%s"', (fips, name, state, label) => {
    expect(county(fips)).toMatchObject({ fips, name, state });
    expect(countyLabel(fips)).toBe(label);
  });

  test.each([
    ['99999', 'unknown'],
    ['09001', 'Fairfield County, CT: retired 2022'],
    ['09015', 'Windham County, CT: retired 2022'],
    ['02261', 'Valdez-Cordova, AK: split 2019'],
    ['2705', 'four digits'],
    ['270530', 'six digits'],
    ['constructor', 'an Object.prototype key'],
    ['__proto__', 'another'],
  ])('%s (%s) is not a county', (fips) => {
    expect(county(fips)).toBeUndefined();
    expect(countyLabel(fips)).toBeUndefined();
  });

  test('retired codes explain themselves; unknown ones do not pretend to', () => {
    expect(retiredCountyNote('09003')).toMatch(/planning regions 09110-09190/);
    expect(retiredCountyNote('02261')).toMatch(/02063 Chugach and 02066 Copper River/);
    expect(retiredCountyNote('09002')).toBeUndefined();
    expect(retiredCountyNote('99999')).toBeUndefined();
  });

  test('50 states and DC have 3,144 counties and equivalents; PR has 78 municipios', () => {
    const codes = countyCodes();
    const territories = new Set(['PR', 'AS', 'GU', 'MP', 'VI']);
    expect(codes.filter((f) => !territories.has(county(f)!.state))).toHaveLength(3144);
    expect(new Set(codes.map((f) => county(f)!.state)).size).toBe(56);
    expect(codes.filter((f) => f.startsWith('72'))).toHaveLength(78);
    expect(codes.filter((f) => f.startsWith('09'))).toEqual(['09110', '09120', '09130', '09140', '09150', '09160', '09170', '09180', '09190']);
    expect(codes.filter((f) => f.startsWith('22')).every((f) => county(f)!.kind === 'parish')).toBe(true);
  });

  test('every entry has a 5-digit code, a trimmed name, a state matching its code and a known kind', () => {
    const stateOfPrefix = new Map<string, string>();
    const problems = countyCodes().flatMap((f) => {
      const c = county(f)!;
      const prefixState = stateOfPrefix.get(f.slice(0, 2)) ?? c.state;
      stateOfPrefix.set(f.slice(0, 2), prefixState);
      return [
        /^\d{5}$/.test(f) ? [] : [`${f}: not 5 digits`],
        c.name.length > 0 && c.name.trim() === c.name ? [] : [`${f}: name "${c.name}"`],
        c.state === prefixState ? [] : [`${f}: state ${c.state}, others with its prefix ${prefixState}`],
        (COUNTY_KINDS as readonly string[]).includes(c.kind) ? [] : [`${f}: kind ${c.kind}`],
      ].flat();
    });
    expect(problems).toEqual([]);
  });

  test('labels are unique within a state, so a label names one place', () => {
    const labels = countyCodes().map((f) => countyLabel(f));
    expect(new Set(labels).size).toBe(labels.length);
  });

  describe('in the monitoring config', () => {
    const withService = (patch: { fips: string; state: string }) => {
      const config = testConfig();
      return validateConfig({ ...config, services: config.services.map((svc, i) => (i === 2 ? { ...svc, ...patch } : svc)) });
    };

    test.each([
      [{ fips: '27123', state: 'MN' }, []],
      [{ fips: '99999', state: 'MN' }, [{ path: 'services[2].fips', message: 'unknown county FIPS "99999"' }]],
      [{ fips: '09003', state: 'CT' }, [{ path: 'services[2].fips', message: 'unknown county FIPS "09003": Connecticut retired its county codes 09001-09015 in 2022; use its planning regions 09110-09190' }]],
      [{ fips: '02261', state: 'AK' }, [{ path: 'services[2].fips', message: 'unknown county FIPS "02261": Valdez-Cordova Census Area was split in 2019 into 02063 Chugach and 02066 Copper River' }]],
      [{ fips: '27123', state: 'WI' }, [{ path: 'services[2].state', message: 'state WI disagrees with county FIPS 27123 (Ramsey County, MN)' }]],
      [{ fips: '09110', state: 'CT' }, []],
      [{ fips: '2712', state: 'MN' }, [{ path: 'services[2].fips', message: 'county FIPS is a 5-digit string, e.g. "27053"' }]],
    ])('service %j → %j', (patch, problems) => {
      const r = withService(patch);
      expect(r.ok ? [] : r.problems).toEqual(problems);
    });
  });
});
