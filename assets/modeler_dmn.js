// DMN decision tables of the draft in dmn-js's decision-table editor (viewer for read-only users).
// Cells are Python, not FEEL (`? in ("agency", "government")`): the editor is told the expression
// language is Python, so cells are plain editable text (no FEEL editor, no FEEL lint). Every edit
// is written back into app.files at once (no input debounce), so save / validate send it.
// Problems from the server lint are marked on their cells (td[data-element-id]) and header columns.
import EditingManager from 'dmn-js-shared/lib/base/EditingManager';
import Manager from 'dmn-js-shared/lib/base/Manager';
import DecisionTableEditor from 'dmn-js-decision-table/lib/Editor';
import DecisionTableViewer from 'dmn-js-decision-table/lib/Viewer';
import { is } from 'dmn-js-shared/lib/util/ModelUtil';

import { el } from './modeler_dom.js';
import './modeler_dmn.css';

const opensTable = (element) => is(element, 'dmn:Decision') && is(element.decisionLogic, 'dmn:DecisionTable');

// dmn-js with the decision-table view only (the DMN files carry no diagram)
class TableModeler extends EditingManager {
  _getViewProviders() {
    return [{ id: 'decisionTable', constructor: DecisionTableEditor, opens: opensTable }];
  }
}

class TableViewer extends Manager {
  _getViewProviders() {
    return [{ id: 'decisionTable', constructor: DecisionTableViewer, opens: opensTable }];
  }
}

const PYTHON = { value: 'python', label: 'Python' };

// dmn-js's own words that the page has translations for (data-labels); the rest stay as dmn-js says them
const WORDS = { Input: 'dmn_input', Output: 'dmn_output', Annotation: 'dmn_description',
  Annotations: 'dmn_description', 'Add rule': 'dmn_add_rule', 'Remove rule': 'dmn_remove_rule' };

function translator(app) {
  return function translate(template, replacements) {
    const key = WORDS[template];
    const text = key && app.labels[key] ? app.labels[key] : template;
    return text.replace(/{([^}]+)}/g, (whole, name) => (replacements && name in replacements ? replacements[name] : whole));
  };
}

export class DecisionTables {
  constructor(app, root) {
    this.app = app;
    this.root = root;
    this.t = app.t.bind(app);
    this.name = null;
    this.loaded = null; // the text last imported or written for this.name
    this.switcher = el('div', 'dmn-views');
    this.message = el('p', 'mp-warning dmn-message');
    this.message.hidden = true;
    this.box = el('div', 'dmn-editor');
    const help = el('p', 'mp-help dmn-help', this.t('dmn_help'));
    this.root.replaceChildren(help, this.switcher, this.message, this.box);
    const Kind = app.readOnly ? TableViewer : TableModeler;
    this.dmn = new Kind({
      container: this.box,
      common: {
        additionalModules: [{ translate: ['value', translator(app)] }],
        debounceInput: false,
        expressionLanguages: {
          options: [PYTHON],
          defaults: { editor: PYTHON.value, inputCell: PYTHON.value, outputCell: PYTHON.value }
        }
      }
    });
    this.dmn.on('views.changed', () => {
      this.bindView();
      this.renderSwitcher();
      this.later();
    });
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

  // open a DMN file (again after a discard); the same unchanged file only gets its problems redrawn
  async show(name) {
    const text = this.app.files[name];
    if (name === this.name && text === this.loaded) {
      this.markProblems();
      return;
    }
    this.name = name;
    this.loaded = text;
    this.message.hidden = true;
    try {
      await this.dmn.importXML(text);
    } catch (err) {
      this.message.textContent = this.t('dmn_unreadable') + ' ' + (err.message || '');
      this.message.hidden = false;
      return;
    }
    this.markProblems();
  }

  // the decision-table view's services: every command is an edit of this file
  bindView() {
    const viewer = this.dmn.getActiveViewer();
    if (!viewer || viewer === this.boundViewer) {
      return;
    }
    this.boundViewer = viewer;
    const bus = viewer.get('eventBus');
    bus.on('commandStack.changed', () => this.write());
    bus.on('elements.changed', () => this.later());
  }

  async write() {
    if (this.app.readOnly || !this.name) {
      return;
    }
    const name = this.name;
    const { xml } = await this.dmn.saveXML({ format: true });
    if (name !== this.name) {
      return;
    }
    this.loaded = xml;
    this.app.files[name] = xml;
    this.app.markDirty(name);
    this.later();
  }

  // a file with several decision tables: one button per table
  renderSwitcher() {
    const views = this.dmn.getViews();
    const active = this.dmn.getActiveView();
    this.switcher.replaceChildren();
    this.switcher.hidden = views.length < 2;
    for (const view of views) {
      const button = el('button', 'btn btn-small' + (view === active ? ' is-active' : ''),
        view.element.name || view.element.id);
      button.type = 'button';
      button.addEventListener('click', () => this.dmn.open(view));
      this.switcher.appendChild(button);
    }
  }

  // dmn-js re-renders cells after changes: mark again once it has
  later() {
    window.requestAnimationFrame(() => this.markProblems());
  }

  markProblems() {
    for (const cell of this.box.querySelectorAll('.has-problem')) {
      cell.classList.remove('has-problem');
      cell.removeAttribute('title');
    }
    for (const problem of this.app.problems || []) {
      if (problem.file !== this.name || !problem.element_id) {
        continue;
      }
      const id = CSS.escape(problem.element_id);
      for (const cell of this.box.querySelectorAll('td[data-element-id="' + id + '"], th[data-col-id="' + id + '"]')) {
        cell.classList.add('has-problem');
        const text = this.app.problemText(problem);
        cell.title = cell.title ? cell.title + '\n' + text : text;
      }
    }
  }

  // the cell a problem names, scrolled to and focused (its text can be typed over)
  focus(id) {
    const cell = this.box.querySelector('td[data-element-id="' + CSS.escape(id) + '"]');
    if (!cell) {
      return false;
    }
    cell.scrollIntoView({ block: 'nearest', inline: 'nearest' });
    const editable = cell.querySelector('[contenteditable]');
    (editable || cell).focus();
    return true;
  }
}
