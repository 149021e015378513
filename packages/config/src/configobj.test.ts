import { describe, expect, it } from 'vitest';
import {
  emptyIniDocument,
  formatIniValue,
  type IniData,
  type IniValue,
  parseIni,
  writeIni,
} from './configobj';

const data = (sections: Record<string, Record<string, IniValue>>): IniData =>
  new Map([
    ['', new Map()],
    ...Object.entries(sections).map(([name, values]) => [name, new Map(Object.entries(values))] as const),
  ]);

describe('configobj values', () => {
  it('quotes as configobj does (outputs taken from configobj 5)', () => {
    expect(formatIniValue('plain')).toBe('plain');
    expect(formatIniValue('')).toBe('""');
    expect(formatIniValue('hardlink,symlink')).toBe('"hardlink,symlink"');
    expect(formatIniValue('https://x.com/a b#c,d')).toBe('"https://x.com/a b#c,d"');
    expect(formatIniValue('a "q"')).toBe(`'a "q"'`);
    expect(formatIniValue("it's")).toBe("it's");
    expect(formatIniValue('x#y')).toBe('"x#y"');
    expect(formatIniValue(' lead')).toBe('" lead"');
    expect(formatIniValue(`a"b'c`)).toBe(`'''a"b'c'''`);
    expect(formatIniValue(['x', 'y'])).toBe('x, y');
    expect(formatIniValue([])).toBe(',');
  });

  it('reads quoted values, lists and inline comments', () => {
    const text = [
      '# head',
      '[core]',
      '  remote = a # c',
      '  l = a, b',
      '  q = "x, y"',
      '  e =',
      "  s = 'it is' # why",
      '  one = x,',
      '  t = """a\'b"c"""',
      '[\'remote "Origin"\']',
      '    url = s3://b/p',
    ].join('\n');
    const { data: parsed, lines } = parseIni(text, 'config');
    expect(Object.fromEntries(parsed.get('core') ?? [])).toEqual({
      remote: 'a',
      l: ['a', 'b'],
      q: 'x, y',
      e: '',
      s: 'it is',
      one: ['x'],
      t: `a'b"c`,
    });
    expect(parsed.get('remote "origin"')?.get('url')).toBe('s3://b/p');
    expect(lines.get('core\0l')).toBe(4);
  });

  it('names the file and line of a syntax error', () => {
    expect(() => parseIni('[core]\nnot a line\n', '/x/config')).toThrow(
      /Invalid line \('not a line'\).*at line 2/,
    );
    expect(() => parseIni('[core]\na = 1\na = 2\n', '/x/config')).toThrow(/Duplicate keyword name at line 3/);
  });
});

describe('writeIni', () => {
  it('writes a new file byte for byte as DVC does', () => {
    const text = writeIni(
      emptyIniDocument(),
      data({ core: { remote: 'myremote' }, 'remote "myremote"': { url: '/tmp/store' } }),
    );
    expect(text).toBe(`[core]\n    remote = myremote\n['remote "myremote"']\n    url = /tmp/store\n`);
  });

  it('keeps comments, blank lines and spacing, and changes only what changed', () => {
    const text = [
      '# my settings',
      '[core]',
      '  remote = old   # the one we push to',
      '  autostage = true',
      '',
      '# remotes below',
      '[\'remote "old"\']',
      '  url = /a # local',
      '',
    ].join('\n');
    const { document, data: parsed } = parseIni(text, 'config');
    parsed.get('core')?.set('remote', 'new');
    parsed.get('core')?.set('checksum_jobs', '4');
    parsed.set('cache', new Map([['type', 'hardlink,symlink']]));
    parsed.set('remote "new"', new Map([['url', 's3://b']]));
    expect(writeIni(document, parsed)).toBe(
      [
        '# my settings',
        '[core]',
        '  remote = new   # the one we push to',
        '  autostage = true',
        '  checksum_jobs = 4',
        '[cache]',
        '    type = "hardlink,symlink"',
        '',
        '# remotes below',
        '[\'remote "old"\']',
        '  url = /a # local',
        '[\'remote "new"\']',
        '    url = s3://b',
        '',
      ].join('\n'),
    );
  });

  it('drops removed keys and sections left empty, as DVC does', () => {
    const { document, data: parsed } = parseIni('[core]\n    remote = a\n[cache]\n    dir = c\n', 'config');
    parsed.get('core')?.delete('remote');
    expect(writeIni(document, parsed)).toBe('[cache]\n    dir = c\n');
  });

  it("keeps the comments before the next section when a section goes, and a renamed one's own", () => {
    const text = [
      '[\'remote "a"\']',
      '    # the old store',
      '    url = /a',
      '',
      '# the team bucket',
      '[\'remote "b"\']',
      '    url = s3://b',
      '',
    ].join('\n');
    const { document, data: parsed } = parseIni(text, 'config');
    parsed.delete('remote "a"');
    parsed.set('remote "c"', new Map([['url', '/a']]));
    expect(writeIni(document, parsed, new Map([['remote "a"', 'remote "c"']]))).toBe(
      [
        '',
        '# the team bucket',
        '[\'remote "b"\']',
        '    url = s3://b',
        '[\'remote "c"\']',
        '    # the old store',
        '    url = /a',
        '',
      ].join('\n'),
    );
  });

  it('puts new plain sections before the remotes, in the order given', () => {
    const { document, data: parsed } = parseIni(`['remote "a"']\n    url = x\n`, 'config');
    parsed.set('core', new Map([['remote', 'a']]));
    expect(writeIni(document, parsed)).toBe(`[core]\n    remote = a\n['remote "a"']\n    url = x\n`);
  });
});
