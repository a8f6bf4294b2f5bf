/**
 * Ship commands: "Validate notebook" and "Export notebook…" in the command
 * palette. Each calls the REST API (shipApi.ts) for the notebook in focus and
 * shows the report, and the files an export wrote, in a main-area tab.
 * Richer dialogs come later; text is always set with textContent.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import {
  ICommandPalette,
  InputDialog,
  MainAreaWidget,
  showErrorMessage
} from '@jupyterlab/apputils';
import { DocumentWidget } from '@jupyterlab/docregistry';
import { Widget } from '@lumino/widgets';

import { describeError, errorText } from './errors';
import {
  createExport,
  CreateExportResponse,
  validateNotebook,
  ValidationReport
} from './shipApi';

export const CommandIDs = {
  validate: 'workbench:validate-notebook',
  export: 'workbench:export-notebook'
};
const CATEGORY = 'Workbench';
const COLORS: Record<string, string> = {
  pass: 'var(--jp-success-color1)',
  warn: 'var(--jp-warn-color1)',
  fail: 'var(--jp-error-color1)'
};

/** Add the ship commands to the app, and to the palette when there is one. */
export function registerShipCommands(
  app: JupyterFrontEnd,
  palette?: ICommandPalette | null
): void {
  app.commands.addCommand(CommandIDs.validate, {
    label: 'Validate notebook',
    caption: 'Run the notebook in a fresh kernel and check it (Workbench)',
    isEnabled: () => currentNotebook(app) !== null,
    execute: () => runValidate(app)
  });
  app.commands.addCommand(CommandIDs.export, {
    label: 'Export notebook…',
    caption:
      'Validate the notebook and export it as a package and pipeline steps',
    isEnabled: () => currentNotebook(app) !== null,
    execute: () => runExport(app)
  });
  for (const command of [CommandIDs.validate, CommandIDs.export]) {
    palette?.addItem({ command, category: CATEGORY });
  }
}

/** The path (relative to the server root) of the notebook in focus. */
function currentNotebook(app: JupyterFrontEnd): string | null {
  const widget = app.shell.currentWidget;
  if (
    widget instanceof DocumentWidget &&
    widget.context.path.endsWith('.ipynb')
  ) {
    return widget.context.localPath;
  }
  return null;
}

async function runValidate(app: JupyterFrontEnd): Promise<void> {
  const path = currentNotebook(app);
  if (path === null) {
    return;
  }
  const conditions = await InputDialog.getText({
    title: 'Validate notebook',
    label:
      'Conditions on metrics, comma-separated (optional), e.g. accuracy>=0.9',
    placeholder: 'accuracy>=0.9'
  });
  if (!conditions.button.accept) {
    return;
  }
  const tab = openTab(
    app,
    `Validation: ${basename(path)}`,
    `Validating ${path}…`
  );
  try {
    const report = await validateNotebook({
      path,
      require: splitList(conditions.value ?? '')
    });
    fill(tab.content, [reportSection(report)]);
  } catch (reason) {
    failed(tab, 'Validation could not run', reason);
  }
}

async function runExport(app: JupyterFrontEnd): Promise<void> {
  const path = currentNotebook(app);
  if (path === null) {
    return;
  }
  const stem = basename(path).replace(/\.ipynb$/, '');
  const out = await InputDialog.getText({
    title: 'Export notebook',
    label: 'Folder to write, relative to the server root',
    text: `exports/${stem}`
  });
  if (!out.button.accept || !out.value) {
    return;
  }
  const tab = openTab(
    app,
    `Export: ${basename(path)}`,
    `Validating and exporting ${path}…`
  );
  try {
    const result = await createExport({ path, out: out.value });
    fill(tab.content, exportSections(result));
  } catch (reason) {
    failed(tab, 'Export failed', reason);
  }
}

function openTab(
  app: JupyterFrontEnd,
  title: string,
  waiting: string
): MainAreaWidget<Widget> {
  const content = new Widget();
  content.addClass('jp-workbench-ship');
  content.node.style.padding = '12px 16px';
  content.node.style.overflow = 'auto';
  fill(content, [paragraph(waiting)]);
  const tab = new MainAreaWidget({ content });
  tab.title.label = title;
  tab.title.closable = true;
  app.shell.add(tab, 'main');
  app.shell.activateById(tab.id);
  return tab;
}

function failed(
  tab: MainAreaWidget<Widget>,
  title: string,
  reason: unknown
): void {
  // A POST is never retried (it must not run twice): say why it failed.
  const error = describeError(reason);
  const lines = [heading(title), paragraph(error.message)];
  if (error.hint) {
    lines.push(paragraph(error.hint));
  }
  fill(tab.content, lines);
  if (!tab.isAttached) {
    void showErrorMessage(title, errorText(error));
  }
}

function reportSection(report: ValidationReport): HTMLElement {
  const section = document.createElement('section');
  const verdict = report.passed ? 'Validation passed' : 'Validation failed';
  section.append(heading(`${verdict}: ${report.notebook}`));
  if (report.run_id) {
    section.append(paragraph(`Validation run ${report.run_id}`));
  }
  const table = document.createElement('table');
  for (const check of report.checks) {
    const row = table.insertRow();
    const status = row.insertCell();
    status.textContent = check.status.toUpperCase();
    status.style.color = COLORS[check.status] ?? '';
    status.style.fontWeight = 'bold';
    status.style.paddingRight = '12px';
    row.insertCell().textContent = check.name;
    const why = row.insertCell();
    why.textContent = check.detail;
    why.style.paddingLeft = '12px';
  }
  section.append(table);
  const metrics = Object.entries(report.metrics);
  if (metrics.length) {
    section.append(heading('Metrics', 'h3'));
    section.append(list(metrics.map(([key, value]) => `${key} = ${value}`)));
  }
  if (report.requirements.length) {
    section.append(heading('Pinned requirements', 'h3'));
    section.append(list(report.requirements));
  }
  return section;
}

function exportSections(result: CreateExportResponse): HTMLElement[] {
  const sections: HTMLElement[] = [];
  if (result.report) {
    sections.push(reportSection(result.report));
  }
  const e = result.export;
  const written = document.createElement('section');
  written.append(heading(`Exported ${e.name} ${e.version} into ${e.path}`));
  written.append(
    paragraph(
      `From validation run ${e.run_id}; targets: ${e.targets.join(', ')}.`
    )
  );
  written.append(list(result.files));
  written.append(
    paragraph(`Install: cd ${e.path} && pip install ./wheels/*.whl`)
  );
  sections.push(written);
  return sections;
}

function fill(content: Widget, children: HTMLElement[]): void {
  content.node.replaceChildren(...children);
}

function heading(text: string, tag: 'h2' | 'h3' = 'h2'): HTMLElement {
  const node = document.createElement(tag);
  node.textContent = text;
  return node;
}

function paragraph(text: string): HTMLElement {
  const node = document.createElement('p');
  node.textContent = text;
  return node;
}

function list(items: string[]): HTMLElement {
  const node = document.createElement('ul');
  for (const item of items) {
    const li = document.createElement('li');
    li.textContent = item;
    li.style.fontFamily = 'var(--jp-code-font-family)';
    node.append(li);
  }
  return node;
}

function splitList(text: string): string[] {
  return text
    .split(',')
    .map(part => part.trim())
    .filter(part => part.length > 0);
}

function basename(path: string): string {
  return path.split('/').pop() ?? path;
}
