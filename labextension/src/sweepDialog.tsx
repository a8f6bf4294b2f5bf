/**
 * The sweep dialog (workbench:launch-sweep, "Run as job…"): one row per
 * parameter of the notebook's typed schema (one value, a list, a range, or a
 * random distribution), the sweep's options, and a preview, as you type, of
 * how many jobs it makes and the first parameter sets, with every problem
 * beside its field. The preview is the server's (POST sweeps/preview), made
 * by the code that launches sweeps; Launch stays refused while it names one.
 */
import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';

import { LivePreview } from './preview';
import { formBody, FormProblems, ISweepForm } from './sweepForm';
import { CreateSweep, previewSweep, SweepPreview } from './sweepsApi';
import { ParamRow } from './sweepFields';
import { paramsTitle } from './sweepFormat';

/** What the dialog body knows: the form, its preview, and its problems. */
export class SweepFormBody extends ReactWidget {
  constructor(form: ISweepForm, note: string) {
    super();
    this.addClass('wb-SweepForm');
    this._form = form;
    this._note = note;
    this._preview = new LivePreview(
      signal => {
        const { body, problems } = formBody(this._form);
        // The form's own problems stand: nothing to ask the server yet.
        return Object.keys(problems).length > 0
          ? null
          : previewSweep(body, signal);
      },
      () => this.update()
    );
    this._preview.refresh();
  }

  /** The request to send, or null while a problem (or the preview) stands. */
  getValue(): CreateSweep | null {
    const { body, problems } = formBody(this._form);
    const { value: preview, pending, error } = this._preview;
    if (
      Object.keys(problems).length > 0 ||
      preview === null ||
      pending ||
      preview.problems.length > 0 ||
      error !== null
    ) {
      return null;
    }
    return preview.seed !== null && body.random
      ? { ...body, seed: preview.seed }
      : body;
  }

  /** Say that Launch waits for a fix (the dialog calls it on a refused Launch). */
  refused(): void {
    this._shake = true;
    this.update();
  }

  dispose(): void {
    this._preview.dispose();
    super.dispose();
  }

  render(): JSX.Element {
    const form = this._form;
    const { problems } = formBody(form);
    const server: FormProblems = {};
    let general: string[] = [];
    for (const p of this._preview.value?.problems ?? []) {
      if (p.field && p.field !== 'notebook') {
        server[p.field] = server[p.field] ?? p.message;
      } else {
        general = [...general, p.message];
      }
    }
    const problem = (field: string): string | undefined =>
      problems[field] ?? server[field];
    const hasRandom = form.params.some(p => p.mode === 'random');
    return (
      <div className="wb-SweepForm-body">
        <div className="wb-SweepForm-fields">
          {this._note && <p className="wb-SweepForm-note">{this._note}</p>}
          {form.params.length === 0 ? (
            <p className="wb-SweepForm-note">
              This notebook has no cell tagged parameters: it runs as one job,
              as it is.
            </p>
          ) : (
            <fieldset className="wb-SweepForm-params">
              <legend>Parameters</legend>
              {form.params.map(p => (
                <ParamRow
                  key={p.name}
                  p={p}
                  problem={problem(p.name)}
                  set={change =>
                    this._set({
                      params: this._form.params.map(q =>
                        q.name === p.name ? { ...q, ...change } : q
                      )
                    })
                  }
                />
              ))}
            </fieldset>
          )}
          {hasRandom && (
            <fieldset className="wb-SweepForm-search">
              <legend>Random search</legend>
              {this._text(
                'n',
                'Draws',
                form.n,
                problem('n'),
                'how many jobs to draw'
              )}
              {this._text(
                'seed',
                'Seed',
                form.seed,
                problem('seed'),
                'the same seed draws the same jobs'
              )}
            </fieldset>
          )}
          <fieldset className="wb-SweepForm-options">
            <legend>How the jobs run</legend>
            {this._text(
              'workers',
              'Jobs at once',
              form.workers,
              problem('workers'),
              'empty: one per core (local)'
            )}
            {this._text(
              'timeout',
              'Timeout (s)',
              form.timeout,
              problem('timeout'),
              'empty: no limit'
            )}
            {this._text(
              'retries',
              'Retries',
              form.retries,
              problem('retries'),
              'new attempts of a failing job'
            )}
            <label className="wb-SweepForm-field">
              <span>Run on</span>
              <select
                aria-label="Run on"
                value={form.executor}
                onChange={e =>
                  this._set({
                    executor: e.target.value as ISweepForm['executor']
                  })
                }
              >
                <option value="local">this machine (processes)</option>
                <option value="dask">a local Dask cluster</option>
                <option value="address">a Dask scheduler…</option>
              </select>
            </label>
            {form.executor === 'address' &&
              this._text(
                'address',
                'Scheduler',
                form.address,
                undefined,
                'tcp://HOST:8786'
              )}
            {problem('executor') && (
              <div className="wb-SweepForm-problem" role="alert">
                {problem('executor')}
              </div>
            )}
            {this._text(
              'experiment',
              'Experiment',
              form.experiment,
              problem('experiment'),
              'empty: the default'
            )}
            <label className="wb-SweepForm-check">
              <input
                type="checkbox"
                checked={form.force}
                onChange={e => this._set({ force: e.target.checked })}
              />
              Run again jobs that already succeeded
            </label>
          </fieldset>
        </div>
        {this._previewBlock(general)}
      </div>
    );
  }

  private _text(
    key:
      | 'n'
      | 'seed'
      | 'workers'
      | 'timeout'
      | 'retries'
      | 'address'
      | 'experiment',
    label: string,
    value: string,
    problem: string | undefined,
    placeholder: string
  ): JSX.Element {
    return (
      <label className="wb-SweepForm-field" data-field={key}>
        <span>{label}</span>
        <input
          className="jp-mod-styled"
          aria-label={label}
          value={value}
          placeholder={placeholder}
          onChange={e => this._set({ [key]: e.target.value })}
        />
        {problem && (
          <span
            className="wb-SweepForm-problem"
            role="alert"
            data-problem={key}
          >
            {problem}
          </span>
        )}
      </label>
    );
  }

  private _previewBlock(general: string[]): JSX.Element {
    const { value: preview, pending, error } = this._preview;
    const local = Object.keys(formBody(this._form).problems).length > 0;
    let summary: string;
    if (error) {
      summary = `The preview could not be made: ${error}`;
    } else if (preview === null || pending) {
      summary = 'Counting jobs…';
    } else if (local || preview.problems.length > 0) {
      summary = 'Fix the marked values to see the jobs.';
    } else {
      summary = `${preview.jobs} job${preview.jobs === 1 ? '' : 's'} to run`;
      if (preview.duplicates) {
        summary += `, ${preview.duplicates} duplicate set${preview.duplicates === 1 ? '' : 's'} merged`;
      }
      if (preview.skipped) {
        summary += `; ${preview.skipped} already succeeded and ${preview.skipped === 1 ? 'is' : 'are'} skipped (tick “Run again” to run ${preview.skipped === 1 ? 'it' : 'them'})`;
      }
      if (preview.in_flight) {
        summary += `; ${preview.in_flight} already queued or running elsewhere`;
      }
    }
    const names = [
      ...new Set((preview?.first ?? []).flatMap(job => Object.keys(job)))
    ];
    return (
      <section
        className={`wb-SweepForm-preview${this._shake ? ' wb-mod-refused' : ''}`}
        aria-live="polite"
      >
        <div
          className="wb-SweepForm-count"
          data-jobs={preview && !pending ? preview.jobs : ''}
        >
          {summary}
        </div>
        {general.map(text => (
          <div key={text} className="wb-SweepForm-problem" role="alert">
            {text}
          </div>
        ))}
        {preview &&
          !pending &&
          preview.first.length > 0 &&
          names.length > 0 && (
            <table className="wb-SweepForm-first" aria-label="The first jobs">
              <thead>
                <tr>
                  {names.map(n => (
                    <th key={n} scope="col">
                      {n}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {preview.first.map((job, i) => (
                  <tr key={i} title={paramsTitle(job)}>
                    {names.map(n => (
                      <td key={n}>
                        {n in job ? JSON.stringify(job[n]) : 'default'}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        {preview && !pending && preview.jobs > preview.first.length && (
          <div className="wb-SweepForm-more">
            … and {preview.jobs - preview.first.length} more
          </div>
        )}
      </section>
    );
  }

  private _set(change: Partial<ISweepForm>): void {
    this._form = { ...this._form, ...change };
    this._shake = false;
    this._preview.refresh();
  }

  private _form: ISweepForm;
  private readonly _note: string;
  private readonly _preview: LivePreview<SweepPreview>;
  private _shake = false;
}
