/**
 * A plotly figure from the server, drawn by JupyterLab's plotly MIME renderer
 * (the one the plotly wheel ships): no chart code here. The figure JSON comes
 * from workbench/plots.py, themed on the server for the current theme.
 */
import { IRenderMimeRegistry, MimeModel } from '@jupyterlab/rendermime';
import { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { Widget } from '@lumino/widgets';
import * as React from 'react';

export const PLOTLY_MIME = 'application/vnd.plotly.v1+json';

/**
 * Detach and dispose a renderer attached into a React-managed element. Called
 * from a layout effect's cleanup, while the element is still in the page;
 * should React have removed it already, the node is put back for the detach
 * (Lumino refuses to detach a node that is not in the document).
 */
export function disposeRenderer(renderer: Widget): void {
  if (renderer.isAttached) {
    if (!renderer.node.isConnected) {
      document.body.appendChild(renderer.node);
    }
    Widget.detach(renderer);
  }
  renderer.dispose();
}

/** The JupyterLab theme in use: the server themes figures to match it. */
export function currentTheme(): 'light' | 'dark' {
  return document.body.dataset.jpThemeLight === 'false' ? 'dark' : 'light';
}

export interface IPlotlyFigureProps {
  rendermime: IRenderMimeRegistry;
  figure: object;
  /** The figure's accessible name (plotly draws an SVG without one). */
  label: string;
}

/** Renders `figure` with a fresh renderer each time it changes. */
export function PlotlyFigure({
  rendermime,
  figure,
  label
}: IPlotlyFigureProps): JSX.Element {
  const host = React.useRef<HTMLDivElement>(null);
  const missing = !rendermime.mimeTypes.includes(PLOTLY_MIME);
  React.useLayoutEffect(() => {
    const node = host.current;
    if (!node) {
      return;
    }
    if (missing) {
      return;
    }
    // The plotly renderer draws once per instance: a new figure needs a new one.
    let renderer: IRenderMime.IRenderer | null =
      rendermime.createRenderer(PLOTLY_MIME);
    Widget.attach(renderer, node);
    const model = new MimeModel({
      data: { [PLOTLY_MIME]: figure as never },
      trusted: true
    });
    void renderer.renderModel(model);
    const observer = new ResizeObserver(() => renderer?.update());
    observer.observe(node);
    return () => {
      observer.disconnect();
      if (renderer) {
        disposeRenderer(renderer);
        renderer = null;
      }
    };
  }, [rendermime, figure, missing]);
  if (missing) {
    return (
      <div className="wb-Figure-missing" role="note">
        The plotly renderer for JupyterLab is missing: install plotly 6.1 or
        later in JupyterLab&apos;s environment (pip install
        &quot;plotly&gt;=6.1&quot;) and reload.
      </div>
    );
  }
  return <div className="wb-Figure" ref={host} role="img" aria-label={label} />;
}
