/**
 * One row of the sweep dialog per notebook parameter: how it varies (one
 * value, a list, a range, a random distribution) and the inputs that says.
 */
import * as React from 'react';

import { Distribution, IParamField, MODES, ParamMode } from './sweepForm';

const DISTRIBUTIONS: ReadonlyArray<[Distribution, string]> = [
  ['uniform', 'uniform(a, b)'],
  ['loguniform', 'log-uniform(a, b)'],
  ['int', 'whole number in [a, b]'],
  ['normal', 'normal(mean, sd)'],
  ['choice', 'choice of values']
];

/** One parameter: how it varies (one value, a list, a range, random) and its inputs. */
export function ParamRow(props: {
  p: IParamField;
  problem: string | undefined;
  set: (change: Partial<IParamField>) => void;
}): JSX.Element {
  const { p, problem, set } = props;
  const input = (
    key: keyof IParamField,
    label: string,
    placeholder = ''
  ): JSX.Element => (
    <input
      className="jp-mod-styled"
      aria-label={`${p.name} ${label}`}
      placeholder={placeholder}
      value={String(p[key])}
      onChange={e => set({ [key]: e.target.value })}
    />
  );
  const numeric = p.type === 'int' || p.type === 'float';
  return (
    <div key={p.name} className="wb-SweepForm-param" data-param={p.name}>
      <div className="wb-SweepForm-paramHead">
        <span className="wb-SweepForm-paramName">{p.name}</span>
        <span className="wb-SweepForm-paramType">{p.type}</span>
        {p.help && <span className="wb-SweepForm-paramHelp">{p.help}</span>}
      </div>
      <div className="wb-SweepForm-paramInputs">
        <select
          aria-label={`${p.name}: how to vary it`}
          value={p.mode}
          onChange={e => set({ mode: e.target.value as ParamMode })}
        >
          {MODES.filter(([m]) => m !== 'range' || numeric).map(([m, text]) => (
            <option key={m} value={m}>
              {text}
            </option>
          ))}
        </select>
        {p.mode === 'fixed' &&
          input('value', 'value', p.literal ? '' : `default: ${p.defaultText}`)}
        {p.mode === 'list' &&
          input('list', 'values', 'values separated by commas')}
        {p.mode === 'range' && (
          <>
            {input('from', 'from', 'from')}
            {input('to', 'to', 'to')}
            {input('count', 'count', 'count')}
            <select
              aria-label={`${p.name} scale`}
              value={p.scale}
              onChange={e =>
                set({ scale: e.target.value as IParamField['scale'] })
              }
            >
              <option value="linear">evenly spaced</option>
              <option value="log">log spaced</option>
            </select>
          </>
        )}
        {p.mode === 'random' && (
          <>
            <select
              aria-label={`${p.name} distribution`}
              value={p.dist}
              onChange={e => set({ dist: e.target.value as Distribution })}
            >
              {DISTRIBUTIONS.map(([d, text]) => (
                <option key={d} value={d}>
                  {text}
                </option>
              ))}
            </select>
            {p.dist === 'choice' ? (
              input('choices', 'choices', 'values separated by commas')
            ) : (
              <>
                {input(
                  'a',
                  p.dist === 'normal' ? 'mean' : 'a',
                  p.dist === 'normal' ? 'mean' : 'a'
                )}
                {input(
                  'b',
                  p.dist === 'normal' ? 'sd' : 'b',
                  p.dist === 'normal' ? 'sd' : 'b'
                )}
              </>
            )}
          </>
        )}
      </div>
      {problem && (
        <div
          className="wb-SweepForm-problem"
          role="alert"
          data-problem={p.name}
        >
          {problem}
        </div>
      )}
    </div>
  );
}
