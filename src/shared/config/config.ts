import { readFileSync } from 'node:fs';
import { scError } from '../errors';
import type { NotationParser, Parser } from './parsers';

/**
 * Configuration: defaults, then a JSON file (`--config file.json`), then the environment, then
 * (for programs that take them, like the load test) command-line flags, then validation, into
 * one frozen typed object. This is the only module that reads `process.env`. Error messages
 * name the bad setting by its environment variable.
 */
export interface Setting<T> {
  /** Environment variable, also accepted as a key in the config file. */
  readonly env: string;
  readonly default: T;
  readonly parse: Parser<T>;
  readonly help: string;
  /** Never printed back (help shows "(secret)"). */
  readonly secret?: boolean;
  /** The default as written in the schema, when that is not how it prints (`128000K`, not 131072000). */
  readonly shown?: string;
}

export type Schema = Record<string, Setting<any>>;
export type ConfigOf<S extends Schema> = { readonly [K in keyof S]: S[K] extends Setting<infer T> ? T : never };

export function setting<T>(env: string, def: T, parse: Parser<T>, help: string, opts?: { secret?: boolean }): Setting<T>;
/** A setting whose default is written in its own notation (`'128000K'`): parsed once here, and shown in --help as written. */
export function setting(env: string, def: string, parse: NotationParser, help: string, opts?: { secret?: boolean }): Setting<number>;
export function setting<T>(env: string, def: T | string, parse: Parser<T>, help: string, opts: { secret?: boolean } = {}): Setting<T> {
  const written = typeof def === 'string' && 'notation' in parse;
  const value = written ? parse(def) : (def as T);
  return Object.freeze({ env, default: value, parse, help, secret: opts.secret ?? false, ...(written ? { shown: def as string } : {}) });
}

export interface CommandLine {
  help: boolean;
  configFile?: string;
  /** Arguments that are not options (sub-commands and their operands). */
  positionals: string[];
  /** Settings given as flags, by schema key (only when parsed with a schema). */
  flags: Record<string, string>;
}

/** The flag of a setting: its key in kebab case (`thinkDelay` -> `--think-delay`). */
export function flagOf(key: string): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/**
 * `--help`, `--config FILE` and positionals; with `flagsOf`, also every setting of that schema
 * as `--kebab-key VALUE` or `--kebab-key=VALUE`. Any other option is refused.
 */
export function parseCommandLine(argv: readonly string[], flagsOf?: Schema): CommandLine {
  const out: CommandLine = { help: false, positionals: [], flags: {} };
  const byFlag = new Map(Object.keys(flagsOf ?? {}).map((k) => [flagOf(k), k]));
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = a.indexOf('=');
    const name = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    const key = byFlag.get(name);
    if (a === '--help' || a === '-h') out.help = true;
    else if (a === '--config' || a === '-c') {
      const v = argv[++i];
      if (!v) throw scError('SC_ERR_CONFIG', '--config needs a file path');
      out.configFile = v;
    } else if (a.startsWith('--config=')) out.configFile = a.slice('--config='.length);
    else if (key !== undefined) {
      if (name !== a) out.flags[key] = a.slice(eq + 1);
      else {
        const v = argv[i + 1];
        if (v === undefined || (v.startsWith('--') && v.length > 2)) throw scError('SC_ERR_CONFIG', `${a} needs a value`);
        out.flags[key] = v;
        i++;
      }
    } else if (a.startsWith('-') && a !== '-') throw scError('SC_ERR_CONFIG', `unknown option ${a} (try --help)`);
    else out.positionals.push(a);
  }
  return out;
}

function camelToEnv(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase();
}

function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw scError('SC_ERR_CONFIG', `cannot read config file ${path}: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw scError('SC_ERR_CONFIG', `config file ${path} is not valid JSON: ${(err as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw scError('SC_ERR_CONFIG', `config file ${path} must hold a JSON object`);
  }
  return parsed as Record<string, unknown>;
}

export interface LoadOptions {
  configFile?: string;
  /** Defaults to process.env; tests pass their own. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Values from command-line flags, by schema key; they beat the environment. */
  flags?: Readonly<Record<string, string>>;
}

export function loadConfig<S extends Schema>(schema: S, opts: LoadOptions = {}): ConfigOf<S> {
  const env = opts.env ?? process.env;
  const file = opts.configFile ? readConfigFile(opts.configFile) : {};
  const byEnv = new Map(Object.entries(schema).map(([k, s]) => [s.env, k]));
  for (const fk of Object.keys(file)) {
    if (!byEnv.has(fk) && !(fk in schema) && !byEnv.has(camelToEnv(fk))) {
      throw scError('SC_ERR_CONFIG', `unknown setting "${fk}" in ${opts.configFile}`);
    }
  }
  const out: Record<string, unknown> = {};
  for (const [key, s] of Object.entries(schema)) {
    let raw: unknown = undefined;
    let from = 'default';
    const fileValue = file[s.env] ?? file[key];
    if (fileValue !== undefined) {
      raw = fileValue;
      from = `${opts.configFile}`;
    }
    const envValue = env[s.env];
    if (envValue !== undefined && envValue !== '') {
      raw = envValue;
      from = 'environment';
    }
    const flagValue = opts.flags?.[key];
    if (flagValue !== undefined) {
      raw = flagValue;
      from = flagOf(key);
    }
    if (raw === undefined) {
      out[key] = s.default;
      continue;
    }
    try {
      out[key] = s.parse(raw);
    } catch (err) {
      throw scError('SC_ERR_CONFIG', `${s.env} (from ${from}) ${(err as Error).message}`);
    }
  }
  return Object.freeze(out) as ConfigOf<S>;
}

function show(v: unknown): string {
  if (Array.isArray(v)) return v.join(',');
  if (typeof v === 'object' && v !== null) return JSON.stringify(v);
  return String(v);
}

/** The `--help` text: usage, then every setting with its default (and its flag, when `flags`). */
export function helpText<S extends Schema>(program: string, summary: string, schema: S, usage: string[] = [], flags = false): string {
  const rows = Object.entries(schema).map(([key, s]) => {
    const shown = s.shown ?? show(s.default);
    const def = s.secret ? '(secret, unset)' : shown === '' ? '(unset)' : shown;
    return { name: s.env, def, help: flags ? `${flagOf(key)}: ${s.help}` : s.help };
  });
  const w = Math.max(...rows.map((r) => r.name.length));
  const lines = [
    `${program}: ${summary}`,
    '',
    'Usage:',
    `  node dist/${program}.js [--config file.json]`,
    ...usage.map((u) => `  ${u}`),
    `  node dist/${program}.js --help`,
    '',
    'Settings come from defaults, then the JSON config file (keys are the names below),',
    `then environment variables${flags ? ', then the flags shown first in each line' : ''}. Sizes take K/M/G suffixes; durations take s/ms/m.`,
    '',
    ...rows.map((r) => `  ${r.name.padEnd(w)}  ${r.help} [default: ${r.def}]`),
    '',
  ];
  return lines.join('\n');
}
