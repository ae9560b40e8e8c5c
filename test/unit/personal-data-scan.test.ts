import { describe, expect, it } from 'vitest';
import { findNeedles } from '../chaos/personal-data.ts';

/** The chaos suite's scan must be able to fail: it finds what it looks for wherever it stands. */
describe('the personal-data scan (test/chaos/personal-data.ts)', () => {
  const scan = (text: string) => {
    const found: string[] = [];
    findNeedles('here', text, new Set(['194003071232', '400307-1232']), found, new Set(['VT-7-12', 'VT-7-3']));
    return found;
  };

  it('finds a personnummer and a source episode id inside JSON, keys and log lines', () => {
    expect(scan('{"pnr":"194003071232"}')).toEqual(['here: a personnummer']);
    expect(scan('{p3}:clock:ep:VT-7-12:events')).toEqual(['here: a source episode id']);
    expect(scan('msg=400307-1232 episode "VT-7-3"')).toEqual(['here: a personnummer', 'here: a source episode id']);
    expect(scan('xVT-7-12 ')).toEqual(['here: a source episode id']);
  });

  it('passes the pseudonyms and ids it was not given', () => {
    expect(scan('{"episodeId":"1b7e3b50c12a351d9bb98ee4284cf706","patientKey":"d5262a1b35c1fb06"}')).toEqual([]);
    expect(scan('VT-7-121 VT-7-1 CHAOS-INVALID-3 194003071233')).toEqual([]);
  });
});
