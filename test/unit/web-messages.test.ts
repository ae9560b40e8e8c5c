import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { en, MESSAGES, sv, type MessageKey } from '../../services/web/src/messages.ts';
import * as codes from '../../services/web/src/codes.ts';
import { repoRoot } from '../support/env.ts';

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('the pages\' message catalogue (services/web/src/messages.ts)', () => {
  it('has the same keys in Swedish and English, and no empty text', () => {
    expect(Object.keys(en).sort()).toEqual(Object.keys(sv).sort());
    for (const [lang, messages] of Object.entries(MESSAGES)) {
      for (const [key, text] of Object.entries(messages)) expect(text.trim(), `${lang} ${key}`).not.toBe('');
    }
  });

  it('takes the same parameters in both languages', () => {
    for (const key of Object.keys(sv) as MessageKey[]) expect(placeholders(en[key]), key).toEqual(placeholders(sv[key]));
  });

  it('has no Swedish letters in English', () => {
    const swedish = Object.entries(en).filter(([, text]) => /[åäöÅÄÖ]/.test(text));
    expect(swedish).toEqual([]);
  });

  it('names only catalogue keys in the static HTML, whose Swedish fallback is the catalogue\'s', () => {
    const dir = path.join(repoRoot, 'services/web/static');
    let seen = 0;
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.html'))) {
      const html = readFileSync(path.join(dir, file), 'utf8');
      for (const [, attrs, text] of html.matchAll(/<\w+([^>]*)>([^<]*)/g)) {
        const attr = (name: string) => new RegExp(`\\s${name}="([^"]*)"`).exec(attrs!)?.[1];
        for (const [which, shown] of [['data-i18n', text], ['data-i18n-placeholder', attr('placeholder')], ['data-i18n-aria-label', attr('aria-label')]] as const) {
          const key = attr(which);
          if (key === undefined) continue;
          seen++;
          expect(Object.keys(sv), `${file}: ${which}="${key}"`).toContain(key);
          expect(shown, `${file}: ${which}="${key}"`).toBe(sv[key as MessageKey]);
        }
      }
    }
    // Every page's title, at least, comes from the catalogue.
    expect(seen).toBeGreaterThan(20);
  });
});

describe('the pages\' code lists (services/web/src/codes.ts)', () => {
  const schema = readFileSync(path.join(repoRoot, 'schemas/patient-event.avsc'), 'utf8');
  const LISTS: Record<string, Record<string, { sv: string; en: string }>> = {
    CareType: codes.CARE_TYPE, AdmissionType: codes.ADMISSION_TYPE, TrackColour: codes.TRACK_COLOUR,
    DischargeDestination: codes.DESTINATION, ResponsibleParty: codes.RESPONSIBLE_PARTY,
  };

  it('labels every symbol of every enum of the Avro schema, in both languages', () => {
    const enums = [...schema.matchAll(/"type":\s*"enum",\s*"name":\s*"(\w+)",\s*"symbols":\s*\[([^\]]*)\]/g)].map(([, name, symbols]) => ({ name: name!, symbols: JSON.parse(`[${symbols}]`) as string[] }));
    // A new enum in the schema needs a list here (and on the pages) before this passes.
    expect(enums.map((e) => e.name).sort()).toEqual(Object.keys(LISTS).sort());
    for (const { name, symbols } of enums) expect(Object.keys(LISTS[name]!).sort(), name).toEqual([...symbols].sort());
  });

  it('labels the reason codes the schema documents', () => {
    const documented = /"name": "reasonCode", "type": "string", "doc": "([^"]*)"/.exec(schema)![1]!.match(/\b[A-Z][A-Z_]{3,}\b/g)!;
    expect(documented.length).toBeGreaterThan(2);
    for (const code of documented) expect(Object.keys(codes.REASON), code).toContain(code);
  });

  it('has a label in both languages for every code, English without Swedish letters', () => {
    const lists = Object.entries(codes).filter(([, v]) => typeof v === 'object') as [string, Record<string, { sv: string; en: string }>][];
    expect(lists.length).toBeGreaterThanOrEqual(10);
    for (const [list, labels] of lists) {
      for (const [code, { sv: s, en: e }] of Object.entries(labels)) {
        expect(s.trim(), `${list}.${code}`).not.toBe('');
        expect(e.trim(), `${list}.${code}`).not.toBe('');
        expect(e, `${list}.${code}`).not.toMatch(/[åäöÅÄÖ]/);
      }
    }
  });

  it('shows a code it does not know as the code itself', () => {
    expect(codes.label(codes.REASON, 'AWAITING_HOME_CARE', 'sv')).toBe('väntar på hemtjänst');
    expect(codes.label(codes.REASON, 'AWAITING_HOME_CARE', 'en')).toBe('awaiting home care');
    expect(codes.label(codes.REASON, 'WAITING_FOR_GODOT', 'en')).toBe('WAITING_FOR_GODOT');
    // Not a property every object has.
    expect(codes.label(codes.REASON, 'constructor', 'sv')).toBe('constructor');
    expect(codes.codeOf(codes.TRACK_COLOUR, 'röd', 'sv')).toBe('RED');
    expect(codes.codeOf(codes.TRACK_COLOUR, 'red', 'en')).toBe('RED');
  });
});
