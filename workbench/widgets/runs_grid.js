// The body of wb.widgets.runs(): one page of runs as an HTML table, drawn from the synced
// `columns` and `rows` (cells are HTML escaped by Python). Ticking a run sets `selected`;
// clicking a header asks Python to sort ({type: "sort", field}), which reads the store.

function arrow(sort) {
  return sort === 'asc' ? ' ▲' : sort === 'desc' ? ' ▼' : '';
}

function render({ model, el }) {
  const wrap = document.createElement('div');
  wrap.className = 'wb-RunsTable-scroll';
  const table = document.createElement('table');
  table.className = 'wb-RunsTable-table';
  wrap.appendChild(table);
  el.appendChild(wrap);

  function select(runIds, on) {
    const ids = new Set(runIds);
    const kept = model.get('selected').filter(r => !ids.has(r));
    model.set('selected', on ? kept.concat(runIds) : kept);
    model.save_changes();
  }

  function draw() {
    const columns = model.get('columns');
    const rows = model.get('rows');
    const selected = new Set(model.get('selected'));
    table.replaceChildren();
    table.setAttribute('aria-rowcount', String(rows.length + 1));

    const head = table.createTHead().insertRow();
    const corner = document.createElement('th');
    corner.className = 'wb-RunsTable-corner';
    const all = document.createElement('input');
    all.type = 'checkbox';
    all.className = 'wb-RunsTable-checkAll';
    all.setAttribute('aria-label', 'tick every run on this page');
    const ticked = rows.filter(r => selected.has(r.id)).length;
    all.checked = rows.length > 0 && ticked === rows.length;
    all.indeterminate = ticked > 0 && ticked < rows.length;
    all.addEventListener('change', () =>
      select(
        rows.map(r => r.id),
        all.checked
      )
    );
    corner.appendChild(all);
    head.appendChild(corner);
    for (const column of columns) {
      const th = document.createElement('th');
      th.className = 'wb-RunsTable-header';
      th.scope = 'col';
      th.setAttribute(
        'aria-sort',
        column.sort === 'asc'
          ? 'ascending'
          : column.sort === 'desc'
            ? 'descending'
            : 'none'
      );
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'wb-RunsTable-sort';
      button.textContent = column.label + arrow(column.sort);
      button.title = `sort by ${column.field}`;
      button.addEventListener('click', () =>
        model.send({ type: 'sort', field: column.field })
      );
      th.appendChild(button);
      head.appendChild(th);
    }

    const body = table.createTBody();
    for (const row of rows) {
      const tr = body.insertRow();
      tr.className = 'wb-RunsTable-row';
      tr.dataset.runId = row.id;
      const box = document.createElement('input');
      box.type = 'checkbox';
      box.className = 'wb-RunsTable-check';
      box.checked = selected.has(row.id);
      box.setAttribute('aria-label', `tick run ${row.label}`);
      box.addEventListener('change', () => select([row.id], box.checked));
      tr.insertCell().appendChild(box);
      for (const cell of row.cells) {
        const td = tr.insertCell();
        td.className = 'wb-RunsTable-cell';
        td.innerHTML = cell;
      }
    }
  }

  // columns and rows arrive in one message but fire two events: draw once for both.
  let queued = false;
  function schedule() {
    if (!queued) {
      queued = true;
      queueMicrotask(() => {
        queued = false;
        draw();
      });
    }
  }
  model.on('change:columns', schedule);
  model.on('change:rows', schedule);
  model.on('change:selected', schedule);
  draw();
  return () => {
    model.off('change:columns', schedule);
    model.off('change:rows', schedule);
    model.off('change:selected', schedule);
  };
}

export default { render };
