/**
 * Compare runs (`workbench:compare-runs` {runIds}): metric histories (step or
 * time axis, smoothing, log scale), a metric against a parameter, parallel
 * coordinates, a contour over two parameters, and a table of params and
 * metrics with differences highlighted. Every chart is a server figure
 * (workbench/plots.py) drawn by JupyterLab's plotly renderer.
 */
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';

import { listRuns, RunSummary } from './api';
import { describeError, ErrorBlock, IViewError } from './errors';
import { literal } from './explorerModel';
import { runLabel, valueText } from './format';
import { currentTheme, PlotlyFigure } from './plotlyView';
import { FigureKind, FigureQuery, FigureResponse, getFigure } from './runApi';

export const COMPARE_CLASS = 'wb-Compare';

/** `run_id in ('a', 'b')`: run ids are hex, so quoting needs no escaping. */
export function idsWhere(ids: string[]): string {
  return `run_id in (${ids.map(literal).join(', ')})`;
}

export class CompareWidget extends ReactWidget {
  constructor(options: { runIds: string[]; rendermime: IRenderMimeRegistry }) {
    super();
    this.runIds = options.runIds;
    this._rendermime = options.rendermime;
    this.addClass(COMPARE_CLASS);
    this.title.label = `Compare ${options.runIds.length} runs`;
    this.title.caption = `Workbench: ${options.runIds.join(', ')}`;
    this.title.closable = true;
    void this._load();
  }

  readonly runIds: string[];

  themeChanged(): void {
    this._themeKey += 1;
    this.update();
  }

  private async _load(): Promise<void> {
    try {
      const page = await listRuns({
        where: idsWhere(this.runIds),
        limit: 1000
      });
      const byId = new Map(page.runs.map(r => [r.run_id, r]));
      this._runs = this.runIds
        .map(id => byId.get(id))
        .filter((r): r is RunSummary => !!r);
    } catch (reason) {
      this._error = describeError(reason);
    }
    this.update();
  }

  protected render(): JSX.Element {
    if (this._error) {
      return <ErrorBlock error={this._error} />;
    }
    return (
      <CompareView
        runIds={this.runIds}
        runs={this._runs}
        rendermime={this._rendermime}
        themeKey={this._themeKey}
      />
    );
  }

  private readonly _rendermime: IRenderMimeRegistry;
  private _runs: RunSummary[] = [];
  private _error: IViewError | null = null;
  private _themeKey = 0;
}

interface IChoices {
  metric: string | null;
  param: string | null;
  x: string | null;
  y: string | null;
  axis: 'step' | 'time';
  smoothing: number;
  logY: boolean;
}

function CompareView(props: {
  runIds: string[];
  runs: RunSummary[];
  rendermime: IRenderMimeRegistry;
  themeKey: number;
}): JSX.Element {
  const [choices, setChoices] = React.useState<IChoices>({
    metric: null,
    param: null,
    x: null,
    y: null,
    axis: 'step',
    smoothing: 0,
    logY: false
  });
  const [offer, setOffer] = React.useState<FigureResponse['choices'] | null>(
    null
  );
  const set = (patch: Partial<IChoices>): void =>
    setChoices({ ...choices, ...patch });
  const metric = choices.metric ?? offer?.metrics[0] ?? null;
  const numeric = offer?.numeric_params ?? [];
  const select = (
    label: string,
    value: string | null,
    options: string[],
    onChange: (v: string) => void
  ): JSX.Element => (
    <label className="wb-Control">
      {label}
      <select
        value={value ?? ''}
        onChange={e => onChange(e.target.value)}
        aria-label={label}
      >
        {options.map(o => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    </label>
  );
  const common = { run_ids: props.runIds, theme: currentTheme() } as const;
  return (
    <div className="wb-Compare-body">
      <div
        className="wb-Toolbar wb-Compare-controls"
        role="group"
        aria-label="Chart options"
      >
        {offer &&
          select('Metric', metric, offer.metrics, v => set({ metric: v }))}
        {select('X axis', choices.axis, ['step', 'time'], v =>
          set({ axis: v as 'step' | 'time' })
        )}
        <label className="wb-Control">
          Smoothing {choices.smoothing.toFixed(2)}
          <input
            type="range"
            min={0}
            max={0.95}
            step={0.05}
            value={choices.smoothing}
            aria-label="Smoothing"
            onChange={e => set({ smoothing: Number(e.target.value) })}
          />
        </label>
        <label className="wb-Control">
          <input
            type="checkbox"
            checked={choices.logY}
            onChange={e => set({ logY: e.target.checked })}
          />
          Log scale
        </label>
      </div>
      <Chart
        kind="history"
        label="Metric histories"
        query={{
          ...common,
          metric,
          x: choices.axis,
          smoothing: choices.smoothing,
          log_y: choices.logY
        }}
        rendermime={props.rendermime}
        themeKey={props.themeKey}
        onChoices={setOffer}
      />
      {offer && metric && offer.params.length > 0 && (
        <>
          <div
            className="wb-Toolbar"
            role="group"
            aria-label="Parameter charts"
          >
            {select(
              'Parameter',
              choices.param ?? offer.params[0],
              offer.params,
              v => set({ param: v })
            )}
          </div>
          <Chart
            kind="param"
            label={`${metric} against a parameter`}
            query={{
              ...common,
              metric,
              param: choices.param ?? offer.params[0]
            }}
            rendermime={props.rendermime}
            themeKey={props.themeKey}
          />
        </>
      )}
      {offer && metric && numeric.length > 0 && (
        <Chart
          kind="parallel"
          label="Parallel coordinates"
          query={{ ...common, metric }}
          rendermime={props.rendermime}
          themeKey={props.themeKey}
        />
      )}
      {offer && metric && numeric.length > 1 && (
        <>
          <div className="wb-Toolbar" role="group" aria-label="Contour axes">
            {select('Contour x', choices.x ?? numeric[0], numeric, v =>
              set({ x: v })
            )}
            {select('Contour y', choices.y ?? numeric[1], numeric, v =>
              set({ y: v })
            )}
          </div>
          <Chart
            kind="contour"
            label="Contour"
            query={{
              ...common,
              metric,
              x: choices.x ?? numeric[0],
              y: choices.y ?? numeric[1]
            }}
            rendermime={props.rendermime}
            themeKey={props.themeKey}
          />
        </>
      )}
      <CompareTable runs={props.runs} />
    </div>
  );
}

function Chart(props: {
  kind: FigureKind;
  label: string;
  query: FigureQuery;
  rendermime: IRenderMimeRegistry;
  themeKey: number;
  onChoices?: (choices: FigureResponse['choices']) => void;
}): JSX.Element {
  const [figure, setFigure] = React.useState<object | null>(null);
  const [error, setError] = React.useState<IViewError | null>(null);
  const key = JSON.stringify(props.query);
  const onChoices = props.onChoices;
  React.useEffect(() => {
    let live = true;
    getFigure(props.kind, JSON.parse(key) as FigureQuery).then(
      answer => {
        if (live) {
          setFigure(answer.figure);
          setError(null);
          onChoices?.(answer.choices);
        }
      },
      reason => live && setError(describeError(reason))
    );
    return () => {
      live = false;
    };
  }, [props.kind, key, props.themeKey, onChoices]);
  return (
    <section
      className="wb-Compare-chart"
      data-kind={props.kind}
      aria-label={props.label}
    >
      {error ? (
        <ErrorBlock error={error} />
      ) : figure ? (
        <PlotlyFigure
          rendermime={props.rendermime}
          figure={figure}
          label={props.label}
        />
      ) : (
        <div className="wb-Figure wb-mod-loading">Loading {props.label}…</div>
      )}
    </section>
  );
}

/** Params, metrics and tags of the runs, one column per run; rows that differ marked. */
export function CompareTable({ runs }: { runs: RunSummary[] }): JSX.Element {
  if (runs.length === 0) {
    return <p className="wb-Muted">Loading the runs…</p>;
  }
  const rows: Array<[string, string[]]> = [];
  for (const [prefix, pick] of [
    ['params', (r: RunSummary) => r.params],
    ['metrics', (r: RunSummary) => r.metrics],
    ['tags', (r: RunSummary) => r.tags]
  ] as const) {
    const keys = [...new Set(runs.flatMap(r => Object.keys(pick(r))))].sort();
    for (const key of keys) {
      rows.push([`${prefix}.${key}`, runs.map(r => valueText(pick(r)[key]))]);
    }
  }
  return (
    <table
      className="wb-DataTable wb-CompareTable"
      aria-label="Parameters and metrics of the runs"
    >
      <thead>
        <tr>
          <th scope="col">field</th>
          {runs.map(r => (
            <th key={r.run_id} scope="col" title={r.run_id}>
              {runLabel(r)}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map(([field, values]) => {
          const differs = new Set(values).size > 1;
          return (
            <tr
              key={field}
              className={differs ? 'wb-mod-differs' : undefined}
              data-field={field}
            >
              <th scope="row">
                {field}
                {differs && (
                  <span className="wb-VisuallyHidden"> (differs)</span>
                )}
              </th>
              {values.map((v, i) => (
                <td key={i}>{v}</td>
              ))}
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
