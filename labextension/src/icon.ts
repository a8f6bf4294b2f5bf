import { LabIcon } from '@jupyterlab/ui-components';

/** A flask over a rising line: runs and their metrics. Themed by jp-icon3. */
const svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="16">
  <g class="jp-icon3" fill="#616161">
    <path d="M9 2h6v2h-1v5.2l5.6 9.1A2.4 2.4 0 0 1 17.5 22h-11a2.4 2.4 0 0 1-2.1-3.7L10 9.2V4H9V2zm3 2v5.8l-2.4 3.9h4.8L12 9.8V4z"/>
  </g>
</svg>`;

export const workbenchIcon = new LabIcon({
  name: 'jupyter-mlops-workbench:runs',
  svgstr: svg
});
