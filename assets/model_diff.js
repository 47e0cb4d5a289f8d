// Two versions of a process side by side (/models/<key>/diff?from=1&to=2): the old version with
// removed (red) and changed (amber) elements, the new one with added (green) and changed elements,
// one tab per BPMN file. The list of changes is rendered by the server; its "show" buttons focus
// the element in both drawings. Words come from data-labels (translated by the server).
import NavigatedViewer from 'bpmn-js/lib/NavigatedViewer';

import spiffworkflow from './spiffworkflow.json';
import { el } from './modeler_dom.js';
import './modeler.css';

const MARK = { added: 'diff-added', removed: 'diff-removed', changed: 'diff-changed' };

class VersionDiff {
  constructor(root) {
    this.root = root;
    this.labels = JSON.parse(root.dataset.labels || '{}');
    this.active = null;
  }

  t(name) {
    return this.labels[name] || name;
  }

  async start() {
    try {
      const response = await fetch(this.root.dataset.src, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
      if (!response.ok) {
        throw new Error('HTTP ' + response.status);
      }
      this.data = await response.json();
    } catch (err) {
      this.root.querySelector('.diff-loading').textContent = this.t('load_error');
      return;
    }
    this.tabs = this.root.querySelector('.modeler-tabs');
    this.panes = {
      from: this.pane('from'),
      to: this.pane('to')
    };
    this.renderTabs();
    const first = this.files().find((f) => f.count) || this.files()[0];
    if (first) {
      await this.show(first.name);
    }
    for (const button of document.querySelectorAll('[data-diff-show]')) {
      button.addEventListener('click', () => this.focus(button.dataset.file, button.dataset.element, button.closest('tr')));
    }
    this.root.querySelector('.diff-loading').hidden = true;
    this.root.classList.add('is-ready');
  }

  pane(side) {
    const box = this.root.querySelector('.diff-canvas[data-side="' + side + '"]');
    const viewer = new NavigatedViewer({ container: box, moddleExtensions: { spiffworkflow } });
    return { box, viewer, empty: this.root.querySelector('.diff-empty[data-side="' + side + '"]') };
  }

  files() {
    const names = new Set([...Object.keys(this.data.files_from), ...Object.keys(this.data.files_to)]);
    return [...names].sort().map((name) => ({
      name,
      count: this.data.changes.filter((c) => c.file === name).length,
      main: name === this.data.main_file
    })).sort((a, b) => (b.main - a.main) || a.name.localeCompare(b.name));
  }

  renderTabs() {
    this.tabButtons = new Map();
    this.tabs.replaceChildren();
    for (const file of this.files()) {
      const tab = el('button', 'modeler-tab' + (file.main ? ' is-main' : ''));
      tab.type = 'button';
      tab.setAttribute('role', 'tab');
      tab.dataset.file = file.name;
      tab.title = file.name;
      tab.appendChild(el('span', 'modeler-tab-name', (this.data.titles || {})[file.name] || file.name));
      if (file.count) {
        const count = el('span', 'modeler-tab-count diff-tab-count', String(file.count));
        tab.appendChild(count);
      }
      tab.addEventListener('click', () => this.show(file.name));
      this.tabs.appendChild(tab);
      this.tabButtons.set(file.name, tab);
    }
  }

  async show(name) {
    if (this.active === name) {
      return;
    }
    this.active = name;
    for (const [file, tab] of this.tabButtons) {
      tab.classList.toggle('is-active', file === name);
      tab.setAttribute('aria-selected', file === name ? 'true' : 'false');
    }
    this.root.dataset.file = name;
    await Promise.all([
      this.draw(this.panes.from, this.data.files_from[name], ['removed', 'changed'], 'old'),
      this.draw(this.panes.to, this.data.files_to[name], ['added', 'changed'], 'new')
    ]);
  }

  async draw(pane, xml, statuses, side) {
    pane.empty.hidden = !!xml;
    pane.box.hidden = !xml;
    if (!xml) {
      pane.viewer.clear();
      return;
    }
    await pane.viewer.importXML(xml);
    const canvas = pane.viewer.get('canvas');
    const registry = pane.viewer.get('elementRegistry');
    for (const change of this.data.changes) {
      if (change.file !== this.active || !statuses.includes(change.status)) {
        continue;
      }
      const id = side === 'new' && change.new_element_id ? change.new_element_id : change.element_id;
      const element = registry.get(id);
      if (element) {
        canvas.addMarker(element, MARK[change.status]);
      }
    }
    canvas.zoom('fit-viewport', 'auto');
  }

  async focus(file, id, row) {
    await this.show(file);
    for (const other of this.root.querySelectorAll('tr.is-focus')) {
      other.classList.remove('is-focus');
    }
    if (row) {
      row.classList.add('is-focus');
    }
    for (const pane of Object.values(this.panes)) {
      if (pane.box.hidden) {
        continue;
      }
      const element = pane.viewer.get('elementRegistry').get(id) ||
        pane.viewer.get('elementRegistry').get(row && row.dataset.newElement);
      if (element) {
        pane.viewer.get('canvas').scrollToElement(element, { top: 60, bottom: 60, left: 60, right: 60 });
      }
    }
    this.root.scrollIntoView({ block: 'start', behavior: 'smooth' });
  }
}

function start() {
  const root = document.querySelector('.model-diff[data-src]');
  if (root && !root.dataset.started) {
    root.dataset.started = '1';
    const diff = new VersionDiff(root);
    root.versionDiff = diff;
    diff.start();
  }
}

if (document.readyState === 'loading') {
  document.addEventListener('DOMContentLoaded', start);
} else {
  start();
}
