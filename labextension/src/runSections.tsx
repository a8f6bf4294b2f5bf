/**
 * The sections of the run page: key/value tables, metrics with their summaries
 * and charts, tags and the Markdown note (editable), artifacts with previews.
 */
import { IRenderMimeRegistry, MimeModel } from '@jupyterlab/rendermime';
import { Widget } from '@lumino/widgets';
import * as React from 'react';

import { Artifact } from './api';
import { describeError, ErrorBlock, IViewError } from './errors';
import { basename, formatValue } from './format';
import { currentTheme, disposeRenderer, PlotlyFigure } from './plotlyView';
import {
  ArtifactPreview,
  artifactDownloadUrl,
  getFigure,
  MetricSummary,
  previewArtifact
} from './runApi';

export function sizeText(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB'];
  let n = bytes;
  for (const unit of units) {
    if (n < 1000 || unit === 'GB') {
      return unit === 'B' ? `${n} B` : `${n.toFixed(1)} ${unit}`;
    }
    n /= 1000;
  }
  return `${bytes} B`;
}

export function KeyValueTable({
  rows,
  label,
  empty
}: {
  rows: Array<[string, React.ReactNode]>;
  label: string;
  empty: string;
}): JSX.Element {
  if (rows.length === 0) {
    return <p className="wb-Muted">{empty}</p>;
  }
  return (
    <table className="wb-KVTable" aria-label={label}>
      <tbody>
        {rows.map(([key, value]) => (
          <tr key={key}>
            <th scope="row">{key}</th>
            <td>{value}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function MetricsTable({
  summary
}: {
  summary: Record<string, MetricSummary>;
}): JSX.Element {
  const keys = Object.keys(summary).sort();
  if (keys.length === 0) {
    return <p className="wb-Muted">No metrics logged.</p>;
  }
  const cell = (v: number | null): string => (v === null ? '' : formatValue(v));
  return (
    <table className="wb-DataTable" aria-label="Metrics">
      <thead>
        <tr>
          <th scope="col">metric</th>
          <th scope="col">last</th>
          <th scope="col">min</th>
          <th scope="col">max</th>
          <th scope="col">points</th>
          <th scope="col">last step</th>
        </tr>
      </thead>
      <tbody>
        {keys.map(key => {
          const s = summary[key];
          return (
            <tr key={key} data-metric={key}>
              <th scope="row">{key}</th>
              <td>{cell(s.last)}</td>
              <td>{cell(s.min)}</td>
              <td>{cell(s.max)}</td>
              <td>{s.count}</td>
              <td>{s.step}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/** One metric's history, drawn from the server's figure (downsampled there). */
export function MetricChart({
  rendermime,
  runIds,
  metric,
  themeKey,
  smoothing = 0,
  logY = false,
  x = 'step'
}: {
  rendermime: IRenderMimeRegistry;
  runIds: string[];
  metric: string;
  themeKey: number;
  smoothing?: number;
  logY?: boolean;
  x?: string;
}): JSX.Element {
  const [figure, setFigure] = React.useState<object | null>(null);
  const [error, setError] = React.useState<IViewError | null>(null);
  const ids = runIds.join(',');
  React.useEffect(() => {
    let live = true;
    getFigure('history', {
      run_ids: ids.split(','),
      metric,
      smoothing,
      log_y: logY,
      x,
      theme: currentTheme()
    }).then(
      answer => live && setFigure(answer.figure),
      reason => live && setError(describeError(reason))
    );
    return () => {
      live = false;
    };
  }, [ids, metric, themeKey, smoothing, logY, x]);
  if (error) {
    return <ErrorBlock error={error} />;
  }
  if (!figure) {
    return <div className="wb-Figure wb-mod-loading">Loading {metric}…</div>;
  }
  return (
    <PlotlyFigure
      rendermime={rendermime}
      figure={figure}
      label={`History of ${metric}`}
    />
  );
}

/** Markdown through JupyterLab's sanitizing markdown renderer. */
export function Markdown({
  rendermime,
  source
}: {
  rendermime: IRenderMimeRegistry;
  source: string;
}): JSX.Element {
  const host = React.useRef<HTMLDivElement>(null);
  React.useLayoutEffect(() => {
    const node = host.current;
    if (!node) {
      return;
    }
    const renderer = rendermime.createRenderer('text/markdown');
    Widget.attach(renderer, node);
    void renderer.renderModel(
      new MimeModel({ data: { 'text/markdown': source }, trusted: false })
    );
    return () => disposeRenderer(renderer);
  }, [rendermime, source]);
  return <div className="wb-Markdown" ref={host} />;
}

export function ArtifactsSection({
  runId,
  artifacts
}: {
  runId: string;
  artifacts: Artifact[];
}): JSX.Element {
  const [open, setOpen] = React.useState<string | null>(null);
  if (artifacts.length === 0) {
    return <p className="wb-Muted">No artifacts.</p>;
  }
  return (
    <div className="wb-Artifacts">
      <ul className="wb-ArtifactList" aria-label="Artifacts">
        {artifacts.map(a => (
          <li key={a.name} className="wb-ArtifactRow" data-artifact={a.name}>
            <button
              type="button"
              className="wb-LinkButton"
              aria-expanded={open === a.name}
              onClick={() => setOpen(open === a.name ? null : a.name)}
            >
              {a.name}
            </button>
            <span className="wb-Muted">{sizeText(a.size)}</span>
            <a
              className="wb-LinkButton"
              href={artifactDownloadUrl(runId, a.name)}
              download={basename(a.name)}
              aria-label={`Download ${a.name}`}
            >
              Download
            </a>
          </li>
        ))}
      </ul>
      {open !== null && (
        <ArtifactPreviewView key={open} runId={runId} name={open} />
      )}
    </div>
  );
}

function ArtifactPreviewView({
  runId,
  name
}: {
  runId: string;
  name: string;
}): JSX.Element {
  const [preview, setPreview] = React.useState<ArtifactPreview | null>(null);
  const [error, setError] = React.useState<IViewError | null>(null);
  React.useEffect(() => {
    let live = true;
    previewArtifact(runId, name).then(
      p => live && setPreview(p),
      reason => live && setError(describeError(reason))
    );
    return () => {
      live = false;
    };
  }, [runId, name]);
  if (error) {
    return <ErrorBlock error={error} />;
  }
  if (!preview) {
    return <div className="wb-Muted">Loading {name}…</div>;
  }
  const cut = preview.truncated ? (
    <p className="wb-Muted">
      Preview cut at the size cap: download the artifact for all of it.
    </p>
  ) : null;
  let body: JSX.Element;
  if (preview.kind === 'image' && preview.data_url) {
    body = (
      <img
        className="wb-ArtifactImage"
        src={preview.data_url}
        alt={`Artifact ${name}`}
      />
    );
  } else if (preview.kind === 'csv' && preview.rows) {
    const [head, ...rows] = preview.rows;
    body = (
      <table className="wb-DataTable" aria-label={`Preview of ${name}`}>
        <thead>
          <tr>
            {(head ?? []).map((h, i) => (
              <th key={i} scope="col">
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row, i) => (
            <tr key={i}>
              {row.map((v, j) => (
                <td key={j}>{v}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    );
  } else if (preview.text !== null) {
    body = <pre className="wb-ArtifactText">{preview.text}</pre>;
  } else {
    body = <p className="wb-Muted">{preview.message}</p>;
  }
  return (
    <section className="wb-ArtifactPreview" aria-label={`Preview of ${name}`}>
      <h4>{name}</h4>
      {body}
      {cut}
    </section>
  );
}
