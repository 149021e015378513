import { readFileSync } from 'node:fs';
import path from 'node:path';
import ini from 'ini';

/** The parts of `.dvc/config` (+ `config.local`) tvc reads: configobj INI files as DVC writes them. */
export interface DvcConfig {
  readonly sections: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

function readIni(file: string): Record<string, Record<string, string>> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return {};
  }
  const parsed = ini.parse(text) as Record<string, unknown>;
  const sections: Record<string, Record<string, string>> = {};
  for (const [name, value] of Object.entries(parsed)) {
    if (typeof value === 'object' && value !== null) {
      sections[name] = Object.fromEntries(Object.entries(value).map(([key, item]) => [key, String(item)]));
    }
  }
  return sections;
}

/** Reads `.dvc/config`, then `.dvc/config.local` over it. */
export function readDvcConfig(root: string): DvcConfig {
  const base = readIni(path.join(root, '.dvc', 'config'));
  const local = readIni(path.join(root, '.dvc', 'config.local'));
  const sections: Record<string, Record<string, string>> = { ...base };
  for (const [name, values] of Object.entries(local)) sections[name] = { ...sections[name], ...values };
  return { sections };
}

/** A config value; `section` like `cache` or `core`. */
export function configValue(config: DvcConfig, section: string, key: string): string | undefined {
  return config.sections[section]?.[key];
}

/** A boolean config value as configobj reads it (`true`, `True`, `yes`, `1`). */
export function configFlag(config: DvcConfig, section: string, key: string): boolean {
  const value = configValue(config, section, key)?.toLowerCase();
  return value === 'true' || value === 'yes' || value === '1' || value === 'on';
}
