// The case diagram: every `.bpmn-diagram[data-src]` on the page fetches its JSON
// (/cases/<no>/diagram.json: the BPMN files of the case's definition version and, per process,
// the completed / current / waiting / cancelled element ids), draws it with bpmn-js and marks
// the elements. Tabs switch between the main process and the phase processes it calls.
// Every word shown comes from the element's data-label-* attributes (translated by the server).
// No inline styles or scripts anywhere: the page runs under CSP style-src/script-src 'self'.
import NavigatedViewer from 'bpmn-js/lib/NavigatedViewer';

import './diagram.css';

const STATES = ['current', 'waiting', 'completed', 'cancelled'];
const READABLE_SCALE = 0.8; // below this a fitted diagram's labels cannot be read: focus on what is current
const MARKER = {
  current: 'diagram-current',
  waiting: 'diagram-waiting',
  completed: 'diagram-completed',
  cancelled: 'diagram-cancelled'
};

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) {
    node.className = className;
  }
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
}

function label(root, name) {
  // data-label-zoom-in -> dataset.labelZoomIn
  const key = 'label' + name.split('-').map((part) => part[0].toUpperCase() + part.slice(1)).join('');
  return root.dataset[key] || '';
}

function hasMarks(process) {
  return STATES.some((state) => (process[state] || []).length > 0);
}

class CaseDiagram {
  constructor(root) {
    this.root = root;
    this.data = null;
    this.active = null;
    this.viewer = null;
    this.renderToken = 0;
  }

  async load() {
    const root = this.root;
    root.classList.add('is-loading');
    root.setAttribute('aria-busy', 'true');
    let data;
    try {
      const response = await fetch(root.dataset.src, {
        credentials: 'same-origin',
        headers: { Accept: 'application/json' }
      });
      if (!response.ok) {
        throw new Error('HTTP ' + response.status);
      }
      data = await response.json();
    } catch (err) {
      this.fail(err);
      return;
    }
    this.data = data;
    this.build();
    await this.show(data.initial || data.root);
  }

  fail(err) {
    const root = this.root;
    root.classList.remove('is-loading');
    root.classList.add('has-error');
    root.setAttribute('aria-busy', 'false');
    root.replaceChildren(el('p', 'diagram-status diagram-error', label(root, 'error')));
    if (window.console && err) {
      // a warning, not an error: the page stays usable without its diagram
      console.warn('case diagram:', err.message || err);
    }
  }

  build() {
    const root = this.root;
    const data = this.data;
    root.replaceChildren();

    const tabs = el('div', 'diagram-tabs');
    tabs.setAttribute('role', 'tablist');
    tabs.setAttribute('aria-label', label(root, 'tabs'));
    this.tabs = new Map();
    for (const process of data.processes) {
      const tab = el('button', 'diagram-tab');
      tab.type = 'button';
      tab.setAttribute('role', 'tab');
      tab.dataset.process = process.id;
      tab.appendChild(el('span', 'diagram-tab-name', process.name));
      if (process.id === data.root) {
        tab.classList.add('is-main');
        tab.title = label(root, 'main');
      }
      if ((process.current || []).length) {
        tab.classList.add('has-current');
        const dot = el('span', 'diagram-tab-dot');
        dot.title = label(root, 'has-current');
        tab.appendChild(dot);
      } else if (!hasMarks(process)) {
        tab.classList.add('is-untouched');
      }
      tab.addEventListener('click', () => this.show(process.id));
      tab.addEventListener('keydown', (event) => this.onTabKey(event));
      tabs.appendChild(tab);
      this.tabs.set(process.id, tab);
    }

    const toolbar = el('div', 'diagram-toolbar');
    toolbar.appendChild(tabs);
    const tools = el('div', 'diagram-tools');
    for (const [name, text, action] of [
      ['zoom-out', '−', () => this.zoom(-1)],
      ['zoom-in', '+', () => this.zoom(1)],
      ['fit', '⤢', () => this.fit()]
    ]) {
      const button = el('button', 'diagram-tool diagram-tool-' + name, text);
      button.type = 'button';
      button.title = label(root, name);
      button.setAttribute('aria-label', label(root, name));
      button.addEventListener('click', action);
      tools.appendChild(button);
    }
    toolbar.appendChild(tools);

    this.summary = el('p', 'diagram-summary');
    this.summary.setAttribute('aria-live', 'polite');

    this.canvas = el('div', 'diagram-canvas');
    this.canvas.setAttribute('role', 'tabpanel');
    this.canvas.addEventListener('wheel', (event) => this.onWheel(event), { passive: false });

    const legend = el('ul', 'diagram-legend');
    legend.setAttribute('aria-label', label(root, 'legend'));
    for (const state of STATES) {
      const item = el('li', 'diagram-legend-item diagram-legend-' + state);
      item.appendChild(el('span', 'diagram-swatch'));
      item.appendChild(el('span', 'diagram-legend-text', label(root, state)));
      legend.appendChild(item);
    }

    root.append(toolbar, this.summary, this.canvas, legend);
    root.classList.remove('is-loading');

    this.viewer = new NavigatedViewer({
      container: this.canvas,
      zoomScroll: { enabled: false } // the wheel scrolls the page; ctrl + wheel zooms (onWheel)
    });

    // re-fit when the panel's width changes (not on every resize: phones resize while scrolling)
    // a call activity opens the phase process it calls
    this.viewer.get('eventBus').on('element.click', (event) => {
      const called = event.element.businessObject && event.element.businessObject.calledElement;
      if (event.element.type === 'bpmn:CallActivity' && this.tabs.has(called)) {
        this.show(called);
      }
    });

    let resizeTimer = null;
    let lastWidth = this.canvas.clientWidth;
    window.addEventListener('resize', () => {
      clearTimeout(resizeTimer);
      resizeTimer = setTimeout(() => {
        if (this.canvas.clientWidth === lastWidth) {
          return;
        }
        lastWidth = this.canvas.clientWidth;
        this.viewer.get('canvas').resized();
        this.focus(this.current());
      }, 150);
    });
  }

  current() {
    return this.data.processes.find((p) => p.id === this.active) || this.data.processes[0];
  }

  onTabKey(event) {
    const ids = [...this.tabs.keys()];
    const at = ids.indexOf(event.currentTarget.dataset.process);
    let next = null;
    if (event.key === 'ArrowRight') {
      next = ids[(at + 1) % ids.length];
    } else if (event.key === 'ArrowLeft') {
      next = ids[(at - 1 + ids.length) % ids.length];
    } else if (event.key === 'Home') {
      next = ids[0];
    } else if (event.key === 'End') {
      next = ids[ids.length - 1];
    }
    if (next) {
      event.preventDefault();
      this.show(next).then(() => this.tabs.get(next).focus());
    }
  }

  onWheel(event) {
    if (!this.viewer || !(event.ctrlKey || event.metaKey)) {
      return;
    }
    event.preventDefault();
    const rect = this.canvas.getBoundingClientRect();
    this.viewer.get('zoomScroll').stepZoom(event.deltaY < 0 ? 1 : -1, {
      x: event.clientX - rect.left,
      y: event.clientY - rect.top
    });
  }

  zoom(direction) {
    this.viewer.get('zoomScroll').stepZoom(direction);
  }

  fit() {
    const canvas = this.viewer.get('canvas');
    canvas.zoom('fit-viewport', 'auto');
  }

  // Fit the whole process; when that makes it too small to read, centre the current (or waiting)
  // elements at a readable scale instead — the fit button still shows everything.
  focus(process) {
    this.fit();
    const canvas = this.viewer.get('canvas');
    if (canvas.zoom() >= READABLE_SCALE * 0.9) {
      return;
    }
    const registry = this.viewer.get('elementRegistry');
    const ids = (process.current || []).length ? process.current : (process.waiting || []);
    const shapes = ids.map((id) => registry.get(id))
      .filter((e) => e && !(e.type === 'bpmn:SubProcess' && e.di && e.di.isExpanded) && e.width !== undefined);
    if (!shapes.length) {
      return;
    }
    const minX = Math.min(...shapes.map((e) => e.x));
    const minY = Math.min(...shapes.map((e) => e.y));
    const maxX = Math.max(...shapes.map((e) => e.x + e.width));
    const maxY = Math.max(...shapes.map((e) => e.y + e.height));
    const outer = canvas.viewbox().outer;
    const width = outer.width / READABLE_SCALE;
    const height = outer.height / READABLE_SCALE;
    canvas.viewbox({ x: (minX + maxX) / 2 - width / 2, y: (minY + maxY) / 2 - height / 2, width, height });
  }

  // Lanes are named by role code in the models (the engine assigns tasks by lane): show the
  // role's name in the page's language instead (data-roles, from the server).
  relabelLanes() {
    let roles = {};
    try {
      roles = JSON.parse(this.root.dataset.roles || '{}');
    } catch (err) {
      return;
    }
    const canvas = this.viewer.get('canvas');
    const graphics = this.viewer.get('graphicsFactory');
    for (const element of this.viewer.get('elementRegistry').filter((e) => e.type === 'bpmn:Lane')) {
      const name = element.businessObject.name;
      if (name && roles[name]) {
        element.businessObject.name = roles[name];
        graphics.update('shape', element, canvas.getGraphics(element));
      }
    }
  }

  async show(processId) {
    const process = this.data.processes.find((p) => p.id === processId) || this.data.processes[0];
    if (!process) {
      return;
    }
    const token = ++this.renderToken;
    this.active = process.id;
    for (const [id, tab] of this.tabs) {
      const selected = id === process.id;
      tab.classList.toggle('is-active', selected);
      tab.setAttribute('aria-selected', selected ? 'true' : 'false');
      tab.tabIndex = selected ? 0 : -1;
      if (selected) {
        const strip = tab.parentNode; // keep the chosen tab in sight on a narrow screen
        strip.scrollLeft = Math.max(0, tab.offsetLeft - (strip.clientWidth - tab.offsetWidth) / 2);
      }
    }
    this.root.dataset.process = process.id;
    this.root.setAttribute('aria-busy', 'true');
    try {
      await this.viewer.importXML(this.data.files[process.file]);
    } catch (err) {
      this.fail(err);
      return;
    }
    if (token !== this.renderToken) {
      return; // another tab was chosen meanwhile
    }
    this.relabelLanes();
    this.mark(process);
    this.focus(process);
    this.root.classList.add('is-ready');
    this.root.setAttribute('aria-busy', 'false');
  }

  mark(process) {
    const canvas = this.viewer.get('canvas');
    const registry = this.viewer.get('elementRegistry');
    const names = { current: [], waiting: [] };
    for (const state of STATES) {
      for (const id of process[state] || []) {
        const element = registry.get(id);
        if (!element) {
          continue;
        }
        canvas.addMarker(element, MARKER[state]);
        if (element.type === 'bpmn:SubProcess' && element.di && element.di.isExpanded) {
          canvas.addMarker(element, 'diagram-container');
        }
        const name = element.businessObject && element.businessObject.name;
        if (names[state] && name && element.type !== 'bpmn:SubProcess') {
          names[state].push(name.replace(/\s+/g, ' '));
        }
      }
    }
    for (const element of registry.filter((e) => e.type === 'bpmn:CallActivity')) {
      if (this.tabs.has(element.businessObject.calledElement)) {
        canvas.addMarker(element, 'diagram-link');
      }
    }
    this.summary.replaceChildren();
    for (const state of ['current', 'waiting']) {
      if (names[state].length) {
        const part = el('span', 'diagram-summary-part diagram-summary-' + state);
        part.appendChild(el('span', 'diagram-swatch'));
        part.appendChild(el('strong', null, label(this.root, state + '-list')));
        part.appendChild(document.createTextNode(names[state].join(label(this.root, 'joiner'))));
        this.summary.appendChild(part);
      }
    }
    this.summary.hidden = !this.summary.childNodes.length;
  }
}

function start() {
  for (const root of document.querySelectorAll('.bpmn-diagram[data-src]')) {
    if (root.dataset.diagramStarted) {
      continue; // the bundle may be included twice by two panels
    }
    root.dataset.diagramStarted = '1';
    const diagram = new CaseDiagram(root);
    root.caseDiagram = diagram;
    diagram.load();
  }
}

if (document.readyState === 'loading') {
  document.addEventListener('DOMContentLoaded', start);
} else {
  start();
}
