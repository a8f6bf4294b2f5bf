/**
 * The sweep dialog's form, as plain data: one field per notebook parameter
 * (from its typed schema) and the options of SweepOptions, turned into the
 * body of POST sweeps. Values travel as the text typed: the server reads
 * them for each parameter's type with the same rules as the CLI, and its
 * preview names what it refuses. What only the dialog has (a range of values
 * made from a start, an end and a count) is made here.
 */
import type { CreateSweep, NotebookParameter } from './sweepsApi';

export type ParamMode = 'fixed' | 'list' | 'range' | 'random';
export type RangeScale = 'linear' | 'log';
export type Distribution =
  'uniform' | 'loguniform' | 'int' | 'normal' | 'choice';
export type ExecutorKind = 'local' | 'dask' | 'address';

export const MODES: ReadonlyArray<[ParamMode, string]> = [
  ['fixed', 'one value'],
  ['list', 'list of values'],
  ['range', 'range'],
  ['random', 'random']
];

export interface IParamField {
  name: string;
  type: NotebookParameter['type'];
  help: string;
  /** The default as the notebook writes it. */
  defaultText: string;
  /** The default is a value (else code, like `1 / 3`: kept when left empty). */
  literal: boolean;
  mode: ParamMode;
  value: string;
  list: string;
  from: string;
  to: string;
  count: string;
  scale: RangeScale;
  dist: Distribution;
  a: string;
  b: string;
  choices: string;
}

export interface ISweepForm {
  notebook: string;
  params: IParamField[];
  n: string;
  seed: string;
  workers: string;
  timeout: string;
  retries: string;
  executor: ExecutorKind;
  address: string;
  experiment: string;
  force: boolean;
}

/** A problem the form finds before asking the server: field name -> message. */
export type FormProblems = Record<string, string>;

export const MAX_RANGE_COUNT = 1000;

/** The text a parameter's default is shown as (what "one value" starts with). */
export function defaultText(p: NotebookParameter): string {
  if (!p.default_is_literal) {
    return '';
  }
  if (typeof p.default === 'string') {
    return p.default;
  }
  if (
    p.type === 'float' &&
    typeof p.default === 'number' &&
    Number.isInteger(p.default)
  ) {
    return `${p.default}.0`; // 4.0, as the notebook wrote it, not 4
  }
  return JSON.stringify(p.default);
}

export function newForm(
  notebook: string,
  parameters: NotebookParameter[],
  seed: number = Math.floor(Math.random() * 2 ** 31)
): ISweepForm {
  return {
    notebook,
    params: parameters.map(p => {
      const text = defaultText(p);
      const numeric = p.type === 'int' || p.type === 'float';
      return {
        name: p.name,
        type: p.type,
        help: p.help,
        defaultText: p.default_is_literal ? text : p.default_repr,
        literal: p.default_is_literal,
        mode: 'fixed',
        value: text,
        list: text,
        from: numeric ? text : '',
        to: numeric ? text : '',
        count: '5',
        scale: 'linear',
        dist: p.type === 'int' ? 'int' : numeric ? 'uniform' : 'choice',
        a: numeric ? text : '',
        b: numeric ? text : '',
        choices: text
      };
    }),
    n: '10',
    seed: String(seed),
    workers: '',
    timeout: '',
    retries: '0',
    executor: 'local',
    address: '',
    experiment: '',
    force: false
  };
}

/** The values of a range: `count` numbers from `from` to `to`, both included. */
export function rangeValues(
  from: number,
  to: number,
  count: number,
  scale: RangeScale,
  whole: boolean
): number[] {
  const values: number[] = [];
  for (let i = 0; i < count; i++) {
    const t = count === 1 ? 0 : i / (count - 1);
    const v =
      scale === 'log'
        ? Math.exp(Math.log(from) + t * (Math.log(to) - Math.log(from)))
        : from + t * (to - from);
    values.push(whole ? Math.round(v) : Number(v.toPrecision(12)));
  }
  return whole ? [...new Set(values)] : values;
}

function numberIn(
  problems: FormProblems,
  key: string,
  text: string,
  what: string
): number | null {
  const value = Number(text.trim());
  if (text.trim() === '' || !Number.isFinite(value)) {
    problems[key] = `${what}: give a number`;
    return null;
  }
  return value;
}

function wholeIn(
  problems: FormProblems,
  key: string,
  text: string,
  what: string,
  optional = false
): number | null | undefined {
  if (optional && text.trim() === '') {
    return undefined;
  }
  const value = Number(text.trim());
  if (text.trim() === '' || !Number.isInteger(value)) {
    problems[key] = `${what}: give a whole number`;
    return null;
  }
  return value;
}

/** The request the form makes, and what it refuses before asking. */
export function formBody(form: ISweepForm): {
  body: CreateSweep;
  problems: FormProblems;
} {
  const problems: FormProblems = {};
  const body: CreateSweep = { notebook: form.notebook };
  const grid: Record<string, unknown[] | string> = {};
  const random: Record<string, string> = {};
  const params: Record<string, unknown> = {};
  for (const p of form.params) {
    if (p.mode === 'fixed') {
      // Unchanged, or left empty when the default is code: the notebook's own default.
      if (p.literal ? p.value !== p.defaultText : p.value !== '') {
        params[p.name] = p.value;
      }
    } else if (p.mode === 'list') {
      if (p.list.trim() === '') {
        problems[p.name] = 'give at least one value, separated by commas';
      } else {
        grid[p.name] = p.list; // the server splits it, as it does the CLI's
      }
    } else if (p.mode === 'range') {
      const from = numberIn(problems, p.name, p.from, 'from');
      const to = numberIn(problems, p.name, p.to, 'to');
      const count = wholeIn(problems, p.name, p.count, 'count');
      if (
        from === null ||
        to === null ||
        count === null ||
        count === undefined
      ) {
        continue;
      }
      if (count < 1 || count > MAX_RANGE_COUNT) {
        problems[p.name] = `count: give 1 to ${MAX_RANGE_COUNT} values`;
      } else if (p.scale === 'log' && (from <= 0 || to <= 0)) {
        problems[p.name] = 'a log range needs a start and an end above 0';
      } else {
        grid[p.name] = rangeValues(from, to, count, p.scale, p.type === 'int');
      }
    } else if (p.dist === 'choice') {
      random[p.name] = `choice(${p.choices})`;
    } else {
      random[p.name] = `${p.dist}(${p.a.trim()},${p.b.trim()})`;
    }
  }
  if (Object.keys(grid).length > 0) {
    body.grid = grid;
  }
  if (Object.keys(params).length > 0) {
    body.params = params;
  }
  if (Object.keys(random).length > 0) {
    body.random = random;
    const n = wholeIn(problems, 'n', form.n, 'draws');
    const seed = wholeIn(problems, 'seed', form.seed, 'seed', true);
    if (typeof n === 'number') {
      body.n = n;
    }
    if (typeof seed === 'number') {
      body.seed = seed;
    }
  }
  const workers = wholeIn(problems, 'workers', form.workers, 'workers', true);
  if (typeof workers === 'number') {
    body.workers = workers;
  }
  const retries = wholeIn(problems, 'retries', form.retries, 'retries', true);
  if (typeof retries === 'number') {
    body.retries = retries;
  }
  if (form.timeout.trim() !== '') {
    const timeout = numberIn(problems, 'timeout', form.timeout, 'timeout');
    if (timeout !== null) {
      body.timeout = timeout;
    }
  }
  if (form.executor === 'dask') {
    body.executor = 'dask';
  } else if (form.executor === 'address') {
    if (form.address.trim() === '') {
      problems.executor =
        'give the scheduler address, like tcp://scheduler:8786';
    } else {
      body.executor = form.address.trim();
    }
  }
  if (form.experiment.trim() !== '') {
    body.experiment = form.experiment.trim();
  }
  if (form.force) {
    body.force = true;
  }
  return { body, problems };
}
