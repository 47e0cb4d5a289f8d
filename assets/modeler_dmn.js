// DMN decision tables of the draft as plain HTML tables: every input and output cell is a text
// field (cells are Python, not FEEL: `? in ("agency", "government")`), rules can be added and
// removed. The DMN file text is rewritten from the parsed document on every change.
import { el } from './modeler_dom.js';

function childrenNamed(node, local) {
  return Array.from(node.children).filter((child) => child.localName === local);
}

function textOf(node) {
  const text = node ? childrenNamed(node, 'text')[0] : null;
  return text ? text.textContent : '';
}

export class DecisionTables {
  constructor(app, root) {
    this.app = app;
    this.root = root;
    this.t = app.t.bind(app);
  }

  static decisions(text) {
    const doc = new DOMParser().parseFromString(text, 'application/xml');
    if (doc.getElementsByTagName('parsererror').length) {
      return [];
    }
    return Array.from(doc.getElementsByTagNameNS('*', 'decision')).map((d) => ({
      id: d.getAttribute('id') || '', name: d.getAttribute('name') || ''
    }));
  }

  show(name) {
    this.name = name;
    this.doc = new DOMParser().parseFromString(this.app.files[name], 'application/xml');
    this.root.replaceChildren();
    if (this.doc.getElementsByTagName('parsererror').length) {
      this.root.appendChild(el('p', 'mp-warning', this.t('dmn_unreadable')));
      return;
    }
    for (const decision of Array.from(this.doc.getElementsByTagNameNS('*', 'decision'))) {
      this.renderDecision(decision);
    }
  }

  write() {
    const text = new XMLSerializer().serializeToString(this.doc);
    this.app.files[this.name] = text.startsWith('<?xml') ? text : '<?xml version="1.0" encoding="UTF-8"?>\n' + text;
    this.app.markDirty(this.name);
  }

  renderDecision(decision) {
    const box = el('section', 'dmn-decision');
    const head = el('div', 'dmn-head');
    head.appendChild(el('h3', null, decision.getAttribute('name') || decision.getAttribute('id')));
    head.appendChild(el('code', 'mp-id', decision.getAttribute('id')));
    box.appendChild(head);
    const table = childrenNamed(decision, 'decisionTable')[0];
    if (!table) {
      box.appendChild(el('p', 'muted', this.t('dmn_no_table')));
      this.root.appendChild(box);
      return;
    }
    const hit = table.getAttribute('hitPolicy') || 'UNIQUE';
    box.appendChild(el('p', 'mp-help', this.t('dmn_hit_policy') + ' ' + hit + ' · ' + this.t('dmn_help')));
    const inputs = childrenNamed(table, 'input');
    const outputs = childrenNamed(table, 'output');
    const wrap = el('div', 'table-wrap dmn-wrap');
    const grid = el('table', 'data dmn-table');
    const thead = el('thead');
    const headRow = el('tr');
    headRow.appendChild(el('th', 'dmn-num', '#'));
    for (const input of inputs) {
      const th = el('th', 'dmn-input');
      th.appendChild(el('span', null, input.getAttribute('label') || this.t('dmn_input')));
      const expr = childrenNamed(input, 'inputExpression')[0];
      th.appendChild(el('code', 'dmn-expr', textOf(expr)));
      headRow.appendChild(th);
    }
    for (const output of outputs) {
      const th = el('th', 'dmn-output');
      th.appendChild(el('span', null, output.getAttribute('label') || this.t('dmn_output')));
      th.appendChild(el('code', 'dmn-expr', output.getAttribute('name') || ''));
      headRow.appendChild(th);
    }
    headRow.appendChild(el('th', 'dmn-desc', this.t('dmn_description')));
    headRow.appendChild(el('th', 'dmn-actions', ''));
    thead.appendChild(headRow);
    grid.appendChild(thead);
    const tbody = el('tbody');
    childrenNamed(table, 'rule').forEach((rule, index) => tbody.appendChild(this.renderRule(table, rule, index)));
    grid.appendChild(tbody);
    wrap.appendChild(grid);
    box.appendChild(wrap);
    if (!this.app.readOnly) {
      const add = el('button', 'btn btn-small', this.t('dmn_add_rule'));
      add.type = 'button';
      add.addEventListener('click', () => {
        this.addRule(table, inputs.length, outputs.length);
        this.show(this.name);
      });
      box.appendChild(add);
    }
    this.root.appendChild(box);
  }

  renderRule(table, rule, index) {
    const row = el('tr');
    row.dataset.id = rule.getAttribute('id') || '';
    row.appendChild(el('td', 'dmn-num', String(index + 1)));
    for (const entry of [...childrenNamed(rule, 'inputEntry'), ...childrenNamed(rule, 'outputEntry')]) {
      const cell = el('td', entry.localName === 'inputEntry' ? 'dmn-in' : 'dmn-out');
      const input = el('input', 'mp-input mono');
      input.type = 'text';
      input.value = textOf(entry);
      input.dataset.id = entry.getAttribute('id') || '';
      input.setAttribute('aria-label', (index + 1) + ' · ' + (entry.localName === 'inputEntry' ? this.t('dmn_input') : this.t('dmn_output')));
      input.disabled = this.app.readOnly;
      input.addEventListener('change', () => {
        let text = childrenNamed(entry, 'text')[0];
        if (!text) {
          text = this.doc.createElementNS(entry.namespaceURI, entry.prefix ? entry.prefix + ':text' : 'text');
          entry.appendChild(text);
        }
        text.textContent = input.value;
        this.write();
      });
      if (this.app.problemsFor(this.name, input.dataset.id).length) {
        cell.classList.add('has-problem');
        input.title = this.app.problemsFor(this.name, input.dataset.id).map((p) => this.app.problemText(p)).join('\n');
      }
      cell.appendChild(input);
      row.appendChild(cell);
    }
    const desc = el('td', 'dmn-desc');
    const note = el('input', 'mp-input');
    note.type = 'text';
    const described = childrenNamed(rule, 'description')[0];
    note.value = described ? described.textContent : '';
    note.setAttribute('aria-label', (index + 1) + ' · ' + this.t('dmn_description'));
    note.disabled = this.app.readOnly;
    note.addEventListener('change', () => {
      let node = childrenNamed(rule, 'description')[0];
      if (!node) {
        node = this.doc.createElementNS(rule.namespaceURI, rule.prefix ? rule.prefix + ':description' : 'description');
        rule.insertBefore(node, rule.firstElementChild);
      }
      node.textContent = note.value;
      this.write();
    });
    desc.appendChild(note);
    row.appendChild(desc);
    const actions = el('td', 'dmn-actions');
    if (!this.app.readOnly) {
      const remove = el('button', 'btn btn-small btn-danger', '×');
      remove.type = 'button';
      remove.title = this.t('dmn_remove_rule');
      remove.setAttribute('aria-label', this.t('dmn_remove_rule') + ' ' + (index + 1));
      remove.addEventListener('click', () => {
        rule.parentNode.removeChild(rule);
        this.write();
        this.show(this.name);
      });
      actions.appendChild(remove);
    }
    row.appendChild(actions);
    return row;
  }

  addRule(table, nInputs, nOutputs) {
    const ns = table.namespaceURI;
    const prefix = table.prefix ? table.prefix + ':' : '';
    const make = (local) => this.doc.createElementNS(ns, prefix + local);
    const stamp = Date.now().toString(36);
    const rule = make('rule');
    rule.setAttribute('id', 'rule_' + stamp);
    for (let i = 0; i < nInputs; i++) {
      const entry = make('inputEntry');
      entry.setAttribute('id', 'in_' + stamp + '_' + i);
      const text = make('text');
      text.textContent = '-';
      entry.appendChild(text);
      rule.appendChild(entry);
    }
    for (let i = 0; i < nOutputs; i++) {
      const entry = make('outputEntry');
      entry.setAttribute('id', 'out_' + stamp + '_' + i);
      const text = make('text');
      text.textContent = '""';
      entry.appendChild(text);
      rule.appendChild(entry);
    }
    table.appendChild(rule);
    this.write();
  }
}
