import { UtklarError } from '../core/errors.ts';

/**
 * JSON.parse that also remembers on which line each value starts, so a region's agreement file
 * can be corrected from the error alone (`orebro.json:12: $.versions[0].model.threshold: …`).
 * Duplicate keys are refused: JSON.parse keeps the last silently, and a billing setting written
 * twice is a mistake someone meant to make once.
 */
export interface LocatedJson {
  value: unknown;
  /** The line (1-based) where the value at `path` ($, $.a, $.a[0]) starts; the nearest parent's otherwise. */
  lineOf(path: string): number;
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;

export function parseJsonWithLines(text: string, file: string): LocatedJson {
  const src = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const lines = new Map<string, number>();
  let i = 0;
  let line = 1;

  const fail = (what: string): never => {
    const column = i - src.lastIndexOf('\n', i - 1);
    throw new UtklarError('CONFIG', `${file}:${line}:${column}: not valid JSON: ${what}`);
  };
  const space = () => {
    for (; i < src.length; i++) {
      const c = src[i];
      if (c === '\n') line++;
      else if (c !== ' ' && c !== '\t' && c !== '\r') break;
    }
  };
  const token = (re: RegExp): string | undefined => {
    re.lastIndex = i;
    const m = re.exec(src);
    if (!m) return undefined;
    i += m[0].length;
    return m[0];
  };
  const string = (): string => {
    const s = token(STRING);
    return s === undefined ? fail('expected a string in double quotes') : (JSON.parse(s) as string);
  };
  const expect = (c: string) => {
    space();
    if (src[i] !== c) fail(`expected '${c}'${i < src.length ? `, found '${src[i]}'` : ' before the end'}`);
    i++;
  };

  const value = (path: string): unknown => {
    space();
    lines.set(path, line);
    const c = src[i];
    if (c === '{') {
      i++;
      const out: Record<string, unknown> = {};
      space();
      if (src[i] === '}') return i++, out;
      for (;;) {
        space();
        const keyLine = line;
        const keyAt = i;
        const key = string();
        if (Object.hasOwn(out, key)) {
          i = keyAt;
          fail(`"${key}" is given twice in this object`);
        }
        expect(':');
        out[key] = value(`${path}.${key}`);
        if (lines.get(`${path}.${key}`)! > keyLine) lines.set(`${path}.${key}`, keyLine);
        space();
        if (src[i] === ',') { i++; continue; }
        if (src[i] === '}') return i++, out;
        fail(`expected ',' or '}'${i < src.length ? `, found '${src[i]}'` : ' before the end'}`);
      }
    }
    if (c === '[') {
      i++;
      const out: unknown[] = [];
      space();
      if (src[i] === ']') return i++, out;
      for (;;) {
        out.push(value(`${path}[${out.length}]`));
        space();
        if (src[i] === ',') { i++; continue; }
        if (src[i] === ']') return i++, out;
        fail(`expected ',' or ']'${i < src.length ? `, found '${src[i]}'` : ' before the end'}`);
      }
    }
    if (c === '"') return string();
    for (const [word, v] of [['true', true], ['false', false], ['null', null]] as const) {
      if (src.startsWith(word, i)) return (i += word.length), v;
    }
    const num = token(NUMBER);
    if (num !== undefined) return Number(num);
    return fail(i < src.length ? `unexpected '${src[i]}'` : 'unexpected end of file');
  };

  const parsed = value('$');
  space();
  if (i < src.length) fail(`unexpected '${src[i]}' after the end of the document`);
  return {
    value: parsed,
    lineOf(path: string) {
      for (let p = path; ; p = p.replace(/(\.[^.[\]]*|\[\d+\])$/, '')) {
        const l = lines.get(p);
        if (l !== undefined) return l;
        if (p === '$' || p === '') return 1;
      }
    },
  };
}
