import type { IniValue } from './configobj';

/** A config tree as DVC holds it: sections, `remote`/`machine`/`db` by name, string or list values. */
export interface ConfigTree {
  [key: string]: ConfigNode;
}
export type ConfigNode = IniValue | ConfigTree;

/** Checks one value; returns voluptuous' message when it is wrong. */
type Check = (value: IniValue) => string | undefined;

interface SectionSchema {
  readonly keys: Readonly<Record<string, Check>>;
  /** `feature` drops unknown keys (DVC warns) instead of refusing them. */
  readonly removeExtra?: boolean;
  /** Keys of which at most one may be set (voluptuous' `Exclusive`), with the group's name. */
  readonly exclusive?: { readonly group: string; readonly keys: readonly string[] };
}

/** A validation problem: the path into the tree and DVC's (voluptuous') message. */
export interface SchemaProblem {
  readonly path: readonly string[];
  readonly message: string;
}

const str: Check = (value) => (typeof value === 'string' ? undefined : 'expected str');
const any: Check = () => undefined;
const bool: Check = (value) =>
  typeof value === 'string' && ['true', 'false'].includes(value.toLowerCase())
    ? undefined
    : 'expected true or false';
const pythonBool: Check = () => 'expected bool';
const pythonInt: Check = () => 'expected int';

function number(kind: 'int' | 'float', min?: number, max?: number): Check {
  const pattern =
    kind === 'int'
      ? /^\s*[+-]?\d+(?:_\d+)*\s*$/
      : /^\s*[+-]?(?:\d+\.?\d*(?:e[+-]?\d+)?|\.\d+(?:e[+-]?\d+)?|inf|nan)\s*$/i;
  return (value) => {
    if (typeof value !== 'string' || !pattern.test(value)) return `expected ${kind}`;
    const parsed = Number(value.replace(/_/g, ''));
    if (min !== undefined && parsed < min) return `value must be at least ${min}`;
    if (max !== undefined && parsed > max) return `value must be at most ${max}`;
    return undefined;
  };
}

function choices(...allowed: string[]): Check {
  return (value) =>
    typeof value === 'string' && allowed.includes(value.toLowerCase())
      ? undefined
      : `expected one of ${allowed.join(', ')}`;
}

/** DVC's `supported_cache_type`: a comma-separated list (or a list) of link types. */
const cacheType: Check = (value) => {
  const types = typeof value === 'string' ? value.split(',').map((type) => type.trim()) : value;
  const unsupported = [
    ...new Set(types.filter((type) => !['reflink', 'hardlink', 'symlink', 'copy'].includes(type))),
  ];
  return unsupported.length > 0 ? `Unsupported cache type(s): ${unsupported.join(', ')}` : undefined;
};

const REMOTE_COMMON = {
  url: str,
  checksum_jobs: number('int', 1),
  jobs: number('int', 1),
  worktree: bool,
  no_traverse: bool,
  version_aware: bool,
};
const LOCAL_COMMON = {
  type: cacheType,
  protected: bool,
  shared: choices('group'),
  slow_link_warning: bool,
  verify: bool,
};
const HTTP_COMMON = {
  auth: choices('basic', 'digest', 'custom'),
  custom_auth_header: str,
  user: str,
  password: str,
  ask_password: bool,
  ssl_verify: any,
  method: str,
  connect_timeout: number('float', 0),
  read_timeout: number('float', 0),
  verify: bool,
};
const WEBDAV_COMMON = {
  user: str,
  password: str,
  ask_password: bool,
  token: str,
  custom_auth_header: str,
  cert_path: str,
  key_path: str,
  timeout: number('int'),
  ssl_verify: any,
  verify: bool,
};

/** The options of a remote, by the scheme of its url ('' for a local path), as DVC's `REMOTE_SCHEMAS`. */
export const REMOTE_SCHEMAS: Readonly<Record<string, Readonly<Record<string, Check>>>> = {
  '': { ...LOCAL_COMMON, ...REMOTE_COMMON },
  s3: {
    region: str,
    profile: str,
    credentialpath: str,
    configpath: str,
    endpointurl: str,
    access_key_id: str,
    secret_access_key: str,
    session_token: str,
    listobjects: bool,
    use_ssl: bool,
    allow_anonymous_login: bool,
    ssl_verify: any,
    sse: str,
    sse_kms_key_id: str,
    sse_customer_algorithm: str,
    sse_customer_key: str,
    acl: str,
    grant_read: str,
    grant_read_acp: str,
    grant_write_acp: str,
    grant_full_control: str,
    cache_regions: pythonBool,
    read_timeout: number('int'),
    connect_timeout: number('int'),
    verify: bool,
    ...REMOTE_COMMON,
  },
  gs: {
    projectname: str,
    credentialpath: str,
    endpointurl: str,
    verify: bool,
    allow_anonymous_login: bool,
    ...REMOTE_COMMON,
  },
  ssh: {
    type: cacheType,
    port: number('int'),
    user: str,
    password: str,
    ask_password: bool,
    passphrase: str,
    ask_passphrase: bool,
    keyfile: str,
    timeout: number('int'),
    gss_auth: bool,
    allow_agent: bool,
    max_sessions: number('int'),
    verify: bool,
    ...REMOTE_COMMON,
  },
  hdfs: { user: str, kerb_ticket: str, replication: pythonInt, ...REMOTE_COMMON },
  webhdfs: {
    kerberos: bool,
    kerberos_principal: str,
    proxy_to: str,
    ssl_verify: any,
    token: str,
    use_https: bool,
    user: str,
    password: str,
    data_proxy_target: str,
    verify: bool,
    ...REMOTE_COMMON,
  },
  azure: {
    connection_string: str,
    sas_token: str,
    account_name: str,
    account_key: str,
    tenant_id: str,
    client_id: str,
    client_secret: str,
    allow_anonymous_login: bool,
    exclude_environment_credential: bool,
    exclude_visual_studio_code_credential: bool,
    exclude_shared_token_cache_credential: bool,
    exclude_managed_identity_credential: bool,
    verify: bool,
    timeout: number('int'),
    read_timeout: number('int'),
    connection_timeout: number('int'),
    ...REMOTE_COMMON,
  },
  oss: { oss_key_id: str, oss_key_secret: str, oss_endpoint: str, verify: bool, ...REMOTE_COMMON },
  gdrive: {
    profile: str,
    gdrive_use_service_account: bool,
    gdrive_client_id: str,
    gdrive_client_secret: str,
    gdrive_user_credentials_file: str,
    gdrive_service_account_user_email: str,
    gdrive_service_account_json_file_path: str,
    gdrive_trash_only: bool,
    gdrive_acknowledge_abuse: bool,
    verify: bool,
    ...REMOTE_COMMON,
  },
  http: { ...HTTP_COMMON, ...REMOTE_COMMON },
  https: { ...HTTP_COMMON, ...REMOTE_COMMON },
  webdav: { ...WEBDAV_COMMON, ...REMOTE_COMMON },
  webdavs: { ...WEBDAV_COMMON, ...REMOTE_COMMON },
};

/** DVC's plain sections (`config_schema.SCHEMA`, less the named ones). */
export const SECTIONS: Readonly<Record<string, SectionSchema>> = {
  core: {
    keys: {
      remote: str,
      checksum_jobs: number('int', 1),
      interactive: bool,
      analytics: bool,
      hardlink_lock: bool,
      no_scm: bool,
      autostage: bool,
      experiments: bool,
      check_update: bool,
      site_cache_dir: str,
      machine: str,
    },
  },
  cache: {
    keys: {
      local: str,
      s3: str,
      gs: str,
      hdfs: str,
      webhdfs: str,
      ssh: str,
      azure: str,
      dir: str,
      ...LOCAL_COMMON,
    },
  },
  state: { keys: { dir: str, row_limit: number('int', 1), row_cleanup_quota: number('int', 0, 100) } },
  index: { keys: { dir: str } },
  feature: { keys: { machine: bool }, removeExtra: true },
  plots: { keys: { html_template: str, auto_open: bool, out_dir: str } },
  exp: {
    keys: {
      code: str,
      data: str,
      models: str,
      metrics: str,
      params: str,
      plots: str,
      live: str,
      auto_push: bool,
      git_remote: str,
    },
  },
  parsing: { keys: { bool: choices('store_true', 'boolean_optional'), list: choices('nargs', 'append') } },
  hydra: {
    keys: { enabled: bool, config_dir: str, config_module: str, config_name: str, plugins_path: str },
    exclusive: { group: 'config_source', keys: ['config_dir', 'config_module'] },
  },
  studio: { keys: { token: str, url: str, repo_url: str, offline: bool } },
};

const MACHINE: SectionSchema = {
  keys: {
    cloud: choices('aws', 'azure'),
    region: choices('us-west', 'us-east', 'eu-west', 'eu-north'),
    image: str,
    spot: bool,
    spot_price: number('float'),
    instance_hdd_size: number('int'),
    instance_type: str,
    instance_gpu: str,
    ssh_private: str,
    startup_script: str,
    setup_script: str,
  },
};
const DB: SectionSchema = { keys: { url: str, username: str, password: str } };

/** The sections named `section "name"` in the files and `section.name` in the tree. */
export const NAMED_SECTIONS = ['remote', 'machine', 'db'] as const;

/** Every top-level key of DVC's schema, in its order (DVC adds missing sections in this order). */
export const SCHEMA_ORDER: readonly string[] = [
  'core',
  'cache',
  'remote',
  'state',
  'index',
  'machine',
  'feature',
  'plots',
  'exp',
  'parsing',
  'hydra',
  'studio',
  'db',
];

/** `data['a']['b']`, as voluptuous names a path. */
export function describePath(path: readonly string[]): string {
  return `data${path.map((part) => `['${part}']`).join('')}`;
}

function isTree(node: ConfigNode | undefined): node is ConfigTree {
  return typeof node === 'object' && node !== null && !Array.isArray(node);
}

/** The scheme DVC picks a remote's schema by (urlparse: a scheme counts only with a netloc). */
export function remoteScheme(url: string): string {
  const match = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)/.exec(url);
  if (!match?.[2]) return '';
  return (match[1] ?? '').toLowerCase();
}

function checkSection(
  tree: ConfigNode,
  schema: SectionSchema,
  path: readonly string[],
  problems: SchemaProblem[],
): void {
  if (!isTree(tree)) {
    problems.push({ path, message: `expected a dictionary for dictionary value @ ${describePath(path)}` });
    return;
  }
  let exclusive: string | undefined;
  for (const [key, value] of Object.entries(tree)) {
    const keyPath = [...path, key];
    const check = schema.keys[key];
    if (!check) {
      if (!schema.removeExtra)
        problems.push({ path: keyPath, message: `extra keys not allowed @ ${describePath(keyPath)}` });
      continue;
    }
    if (isTree(value)) {
      problems.push({
        path: keyPath,
        message: `expected str for dictionary value @ ${describePath(keyPath)}`,
      });
      continue;
    }
    const message = check(value);
    if (message)
      problems.push({ path: keyPath, message: `${message} for dictionary value @ ${describePath(keyPath)}` });
    if (schema.exclusive?.keys.includes(key)) {
      if (exclusive !== undefined) {
        problems.push({
          path: keyPath,
          message: `two or more values in the same group of exclusion '${schema.exclusive.group}' @ ${describePath(keyPath)}`,
        });
      }
      exclusive = key;
    }
  }
}

/** Checks a merged config tree against DVC's schema; every problem, in the tree's order. */
export function validateTree(tree: ConfigTree): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  for (const [section, value] of Object.entries(tree)) {
    const sectionSchema = SECTIONS[section];
    if (sectionSchema) {
      checkSection(value, sectionSchema, [section], problems);
      continue;
    }
    if (!(NAMED_SECTIONS as readonly string[]).includes(section)) {
      problems.push({ path: [section], message: `extra keys not allowed @ ${describePath([section])}` });
      continue;
    }
    if (!isTree(value)) {
      problems.push({
        path: [section],
        message: `expected a dictionary for dictionary value @ ${describePath([section])}`,
      });
      continue;
    }
    for (const [name, options] of Object.entries(value)) {
      const path = [section, name];
      if (section === 'machine') checkSection(options, MACHINE, path, problems);
      else if (section === 'db') checkSection(options, DB, path, problems);
      else {
        if (!isTree(options)) {
          problems.push({
            path,
            message: `expected a dictionary for dictionary value @ ${describePath(path)}`,
          });
          continue;
        }
        const url = options.url;
        if (typeof url !== 'string') {
          problems.push({ path, message: `expected 'url' for dictionary value @ ${describePath(path)}` });
          continue;
        }
        const scheme = remoteScheme(url);
        const keys = REMOTE_SCHEMAS[scheme];
        if (!keys) {
          problems.push({
            path,
            message: `Unsupported URL type ${scheme}:// for dictionary value @ ${describePath(path)}`,
          });
          continue;
        }
        checkSection(options, { keys }, path, problems);
      }
    }
  }
  return problems;
}
