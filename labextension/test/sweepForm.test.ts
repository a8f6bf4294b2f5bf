/**
 * The sweep dialog's form: what request it makes from what was typed, and
 * what it refuses before asking the server.
 */
import { describe, expect, it } from 'vitest';

import { formBody, newForm, rangeValues, defaultText } from '../src/sweepForm';
import type { NotebookParameter } from '../src/sweepsApi';

const param = (
  name: string,
  type: NotebookParameter['type'],
  value: unknown,
  literal = true
): NotebookParameter => ({
  name,
  type,
  nullable: false,
  default: literal ? value : null,
  default_repr: literal ? JSON.stringify(value) : String(value),
  default_is_literal: literal,
  help: ''
});

const PARAMS = [
  param('lr', 'float', 0.1),
  param('epochs', 'int', 3),
  param('opt', 'str', 'adam'),
  param('ratio', 'float', 1 / 3, false)
];

describe('the sweep form', () => {
  it('asks for one job with the defaults when nothing changed', () => {
    const { body, problems } = formBody(newForm('nb/train.ipynb', PARAMS, 7));
    expect(problems).toEqual({});
    expect(body).toEqual({ notebook: 'nb/train.ipynb', retries: 0 });
  });

  it('shows defaults as the notebook writes them', () => {
    expect(defaultText(param('pause', 'float', 4))).toBe('4.0');
    expect(defaultText(param('opt', 'str', 'adam'))).toBe('adam');
    expect(defaultText(param('layers', 'list', [64, 32]))).toBe('[64,32]');
    expect(defaultText(PARAMS[3])).toBe(''); // code: left empty, it stays
  });

  it('sends changed values as typed, lists as one text, ranges as values', () => {
    const form = newForm('train.ipynb', PARAMS, 7);
    form.params[0] = {
      ...form.params[0],
      mode: 'range',
      from: '0.001',
      to: '0.1',
      count: '3',
      scale: 'log'
    };
    form.params[1] = { ...form.params[1], mode: 'list', list: '1, 2, "3"' };
    form.params[2] = { ...form.params[2], value: 'sgd' };
    form.workers = '2';
    form.timeout = '60';
    form.executor = 'address';
    form.address = 'tcp://scheduler:8786';
    const { body, problems } = formBody(form);
    expect(problems).toEqual({});
    expect(body).toEqual({
      notebook: 'train.ipynb',
      grid: { lr: [0.001, 0.01, 0.1], epochs: '1, 2, "3"' },
      params: { opt: 'sgd' },
      workers: 2,
      retries: 0,
      timeout: 60,
      executor: 'tcp://scheduler:8786'
    });
  });

  it('draws random values with n and the seed shown', () => {
    const form = newForm('train.ipynb', PARAMS, 42);
    form.params[0] = {
      ...form.params[0],
      mode: 'random',
      dist: 'loguniform',
      a: '1e-4',
      b: '0.1'
    };
    form.params[2] = {
      ...form.params[2],
      mode: 'random',
      dist: 'choice',
      choices: 'adam, sgd'
    };
    const { body } = formBody(form);
    expect(body.random).toEqual({
      lr: 'loguniform(1e-4,0.1)',
      opt: 'choice(adam, sgd)'
    });
    expect([body.n, body.seed]).toEqual([10, 42]);
  });

  it('refuses what it cannot send, beside its field', () => {
    const form = newForm('train.ipynb', PARAMS, 1);
    form.params[0] = {
      ...form.params[0],
      mode: 'range',
      from: '0',
      to: '1',
      count: '3',
      scale: 'log'
    };
    form.params[1] = { ...form.params[1], mode: 'list', list: ' ' };
    form.params[2] = { ...form.params[2], mode: 'random', dist: 'choice' };
    form.n = 'many';
    form.workers = '1.5';
    form.executor = 'address';
    const { problems } = formBody(form);
    expect(problems).toEqual({
      lr: 'a log range needs a start and an end above 0',
      epochs: 'give at least one value, separated by commas',
      n: 'draws: give a whole number',
      workers: 'workers: give a whole number',
      executor: 'give the scheduler address, like tcp://scheduler:8786'
    });
  });
});

describe('rangeValues', () => {
  it('spaces evenly or by ratio, both ends included', () => {
    expect(rangeValues(0, 1, 5, 'linear', false)).toEqual([
      0, 0.25, 0.5, 0.75, 1
    ]);
    expect(rangeValues(0.1, 0.3, 3, 'linear', false)).toEqual([0.1, 0.2, 0.3]);
    expect(rangeValues(1, 1000, 4, 'log', false)).toEqual([1, 10, 100, 1000]);
    expect(rangeValues(5, 5, 1, 'linear', false)).toEqual([5]);
  });

  it('rounds whole numbers and drops the repeats', () => {
    expect(rangeValues(1, 4, 7, 'linear', true)).toEqual([1, 2, 3, 4]);
  });
});
