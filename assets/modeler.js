// The process owners' modeler (/models/<key>/edit): the bpmn-js Modeler on the process's draft,
// one tab per BPMN file (DMN files as decision tables), our properties panel, save / validate /
// deploy / discard through the page's session-JSON endpoints (CSRF token from <meta name=csrf-token>).
// Problems from the server lint are listed and drawn on their elements; clicking one selects it.
// Every word shown comes from the page (data-labels, translated by the server). No inline styles or
// scripts: the page runs under CSP style-src/script-src 'self'.
import Modeler from 'bpmn-js/lib/Modeler';
import NavigatedViewer from 'bpmn-js/lib/NavigatedViewer';

import spiffworkflow from './spiffworkflow.json';
import { el } from './modeler_dom.js';
import { PropertiesPanel } from './modeler_panel.js';
import { DecisionTables } from './modeler_dmn.js';
import './modeler.css';

function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : '';
}

function parseProcesses(text) {
  const doc = new DOMParser().parseFromString(text, 'application/xml');
  if (doc.getElementsByTagName('parsererror').length) {
    return [];
  }
  return Array.from(doc.getElementsByTagNameNS('*', 'process')).map((p) => ({
    id: p.getAttribute('id') || '', name: p.getAttribute('name') || ''
  }));
}

class ModelerApp {
  constructor(root) {
    this.root = root;
    this.data = {};
    this.labels = JSON.parse(root.dataset.labels || '{}');
    this.urls = JSON.parse(root.dataset.urls || '{}');
    this.key = root.dataset.key;
    this.readOnly = root.dataset.readOnly === 'true';
    this.files = {};
    this.processes = {};
    this.changed = new Set(); // files edited on this page (diagrams, decision tables): only these are sent
    this.activeFile = null;
    this.problems = null; // null: not checked yet
    this.dirty = false;
    this.viewboxes = {};
    this.status = document.getElementById('modeler-status');
  }

  t(name) {
    return this.labels[name] || name;
  }

  // -- server ----------------------------------------------------------------------------------
  async request(method, url, body) {
    const options = {
      method,
      credentials: 'same-origin',
      headers: { Accept: 'application/json', 'X-CSRFToken': csrfToken() }
    };
    if (body !== undefined) {
      options.headers['Content-Type'] = 'application/json';
      options.body = JSON.stringify(body);
    }
    const response = await fetch(url, options);
    const type = response.headers.get('Content-Type') || '';
    if (!type.includes('application/json')) {
      // signed out meanwhile (the sign-in page answered) or an error page: the edits stay on the page
      const signedOut = response.redirected && response.url.includes('/login');
      const error = new Error(signedOut ? this.t('signed_out')
        : this.t('request_failed').replace('{status}', response.status));
      error.status = response.status;
      throw error;
    }
    const answer = await response.json();
    if (!response.ok && !answer.problems && !answer.errors) {
      const error = new Error(answer.message || this.t('request_failed').replace('{status}', response.status));
      error.status = response.status;
      throw error;
    }
    answer.status = response.status;
    return answer;
  }

  post(name, body) {
    return this.request('POST', this.urls[name], body);
  }

  say(text, kind) {
    this.status.textContent = text || '';
    this.status.className = 'modeler-status' + (kind ? ' is-' + kind : '');
  }

  // -- start -------------------------------------------------------------------------------------
  async start() {
    this.say(this.t('loading'));
    try {
      this.data = await this.request('GET', this.urls.draft);
    } catch (err) {
      this.say(this.t('load_error'), 'error');
      return;
    }
    this.buildLayout();
    this.loadFiles(this.data.files, this.data.digests);
    const wanted = new URLSearchParams(window.location.search).get('file');
    await this.openFile(this.files[wanted] !== undefined ? wanted : this.fileList()[0].name);
    this.say('');
    this.bindActions();
    window.addEventListener('beforeunload', (event) => {
      if (this.dirty) {
        event.preventDefault();
        event.returnValue = '';
      }
    });
    this.root.classList.add('is-ready');
  }

  loadFiles(files, digests) {
    this.files = { ...files };
    this.base = { ...(digests || {}) }; // each file as opened (the server refuses a save over a newer one)
    this.changed.clear();
    this.processes = {};
    for (const [name, text] of Object.entries(this.files)) {
      if (name.endsWith('.bpmn')) {
        this.processes[name] = parseProcesses(text);
      }
    }
    this.renderTabs();
  }

  buildLayout() {
    this.tabs = this.root.querySelector('.modeler-tabs');
    this.canvasBox = this.root.querySelector('.modeler-canvas');
    this.dmnBox = this.root.querySelector('.modeler-dmn');
    this.panelBox = this.root.querySelector('.modeler-panel-body');
    this.problemList = document.getElementById('modeler-problem-list');
    this.problemCount = document.getElementById('modeler-problem-count');
    const Kind = this.readOnly ? NavigatedViewer : Modeler;
    this.modeler = new Kind({
      container: this.canvasBox,
      moddleExtensions: { spiffworkflow }
    });
    this.canvasBox.tabIndex = 0;
    this.panel = new PropertiesPanel(this, this.panelBox);
    this.panel.attach(this.modeler);
    this.tables = new DecisionTables(this, this.dmnBox);
    const bus = this.modeler.get('eventBus');
    bus.on('commandStack.changed', (event) => {
      if (event.trigger !== 'clear') {
        this.markDirty(this.activeFile);
      }
    });
    bus.on('import.done', () => this.drawProblems());
    for (const button of this.root.querySelectorAll('[data-zoom]')) {
      button.addEventListener('click', () => {
        const how = button.dataset.zoom;
        if (how === 'fit') {
          this.fit();
        } else {
          this.modeler.get('zoomScroll').stepZoom(how === 'in' ? 1 : -1);
        }
      });
    }
  }

  // -- files and tabs ----------------------------------------------------------------------------
  fileList() {
    return Object.keys(this.files)
      .filter((name) => name.endsWith('.bpmn') || name.endsWith('.dmn'))
      .map((name) => ({
        name,
        dmn: name.endsWith('.dmn'),
        main: (this.processes[name] || []).some((p) => p.id === this.key)
      }))
      .sort((a, b) => (a.dmn - b.dmn) || (b.main - a.main) || a.name.localeCompare(b.name));
  }

  tabTitle(file) {
    if (file.dmn) {
      const decisions = DecisionTables.decisions(this.files[file.name]);
      return decisions.length && decisions[0].name ? decisions[0].name : file.name;
    }
    const processes = this.processes[file.name] || [];
    return processes.length && processes[0].name ? processes[0].name : file.name;
  }

  renderTabs() {
    this.tabs.replaceChildren();
    this.tabButtons = new Map();
    for (const file of this.fileList()) {
      const tab = el('button', 'modeler-tab' + (file.dmn ? ' is-dmn' : '') + (file.main ? ' is-main' : ''));
      tab.type = 'button';
      tab.setAttribute('role', 'tab');
      tab.dataset.file = file.name;
      tab.title = file.name;
      tab.appendChild(el('span', 'modeler-tab-name', this.tabTitle(file)));
      if (file.dmn) {
        tab.appendChild(el('span', 'modeler-tab-kind', 'DMN'));
      }
      const count = el('span', 'modeler-tab-count');
      count.hidden = true;
      tab.appendChild(count);
      tab.addEventListener('click', () => this.openFile(file.name));
      this.tabs.appendChild(tab);
      this.tabButtons.set(file.name, tab);
    }
    this.updateTabCounts();
  }

  updateTabCounts() {
    for (const [name, tab] of this.tabButtons || []) {
      const n = (this.problems || []).filter((p) => p.file === name).length;
      const badge = tab.querySelector('.modeler-tab-count');
      badge.hidden = !n;
      badge.textContent = n ? String(n) : '';
      tab.classList.toggle('has-problems', n > 0);
    }
  }

  // write the open diagram back into this.files (before switching, saving, validating)
  async syncCurrent() {
    if (!this.activeFile || !this.activeFile.endsWith('.bpmn') || !this.changed.has(this.activeFile) || this.readOnly) {
      return; // a file only looked at keeps its text exactly (no new version for a reformatting)
    }
    const { xml } = await this.modeler.saveXML({ format: true });
    this.files[this.activeFile] = xml;
    this.processes[this.activeFile] = parseProcesses(xml);
  }

  async openFile(name) {
    if (this.files[name] === undefined) {
      return;
    }
    if (name === this.activeFile) {
      return;
    }
    await this.syncCurrent();
    if (this.activeFile && this.activeFile.endsWith('.bpmn')) {
      this.viewboxes[this.activeFile] = this.modeler.get('canvas').viewbox();
    }
    this.activeFile = name;
    for (const [file, tab] of this.tabButtons) {
      const selected = file === name;
      tab.classList.toggle('is-active', selected);
      tab.setAttribute('aria-selected', selected ? 'true' : 'false');
      tab.tabIndex = selected ? 0 : -1;
    }
    this.root.dataset.file = name;
    const dmn = name.endsWith('.dmn');
    this.root.classList.toggle('shows-dmn', dmn);
    if (dmn) {
      this.tables.show(name);
      this.panel.show(null);
      return;
    }
    const wasDirty = this.dirty;
    try {
      await this.modeler.importXML(this.files[name]);
    } catch (err) {
      this.say(this.t('import_error').replace('{file}', name) + ' ' + (err.message || ''), 'error');
      return;
    }
    this.dirty = wasDirty; // importing is not an edit
    this.updateDirty();
    const canvas = this.modeler.get('canvas');
    if (this.viewboxes[name]) {
      canvas.viewbox(this.viewboxes[name]);
    } else {
      this.fit();
    }
    this.panel.show(null);
    this.root.dispatchEvent(new CustomEvent('modeler:opened', { detail: { file: name } }));
  }

  // the whole diagram in view, clear of the palette on the left (the modeler's tools float over the canvas)
  fit() {
    const canvas = this.modeler.get('canvas');
    canvas.zoom('fit-viewport', 'auto');
    const { inner, outer } = canvas.viewbox();
    if (!inner.width || !inner.height) {
      return;
    }
    const left = this.readOnly ? 20 : 130;
    const pad = 20;
    const scale = Math.min(1, (outer.width - left - pad) / inner.width, (outer.height - 2 * pad) / inner.height);
    const width = outer.width / scale;
    const height = outer.height / scale;
    canvas.viewbox({
      x: inner.x - left / scale,
      y: inner.y - (height - inner.height) / 2,
      width,
      height
    });
  }

  // -- model lookups for the panel ------------------------------------------------------------------
  modeling() {
    return this.modeler.get('modeling');
  }

  registry() {
    return this.modeler.get('elementRegistry');
  }

  processesIn(file) {
    return this.processes[file] || [];
  }

  allProcesses() {
    return Object.values(this.processes).flat();
  }

  fileOfProcess(id) {
    return Object.keys(this.processes).find((file) => this.processes[file].some((p) => p.id === id)) || null;
  }

  formFiles() {
    return Object.keys(this.files).filter((name) => name.endsWith('.json') && !name.endsWith('.ui.json')).sort();
  }

  decisions() {
    return Object.keys(this.files).filter((name) => name.endsWith('.dmn'))
      .flatMap((name) => DecisionTables.decisions(this.files[name]));
  }

  formUrl(form) {
    // the form editor names a form by its file name without .schema.json (or .json)
    const name = form.replace(/\.schema\.json$/, '').replace(/\.json$/, '');
    return this.urls.form.replace('__NAME__', encodeURIComponent(name));
  }

  roleLabel(code) {
    return (this.data.roles || {})[code] || code;
  }

  laneOf(element) {
    const bo = element.businessObject;
    const lanes = this.registry().filter((e) => e.type === 'bpmn:Lane' &&
      (e.businessObject.flowNodeRef || []).includes(bo));
    // nested lanes: the innermost one decides
    lanes.sort((a, b) => (a.width * a.height) - (b.width * b.height));
    return lanes[0] || null;
  }

  defaultSample(start) {
    // a plausible sample for a date variable: 15 days after the sample start
    const base = start ? new Date(start) : new Date();
    base.setDate(base.getDate() + 15);
    const pad = (n) => String(n).padStart(2, '0');
    return base.getFullYear() + '-' + pad(base.getMonth() + 1) + '-' + pad(base.getDate()) + 'T17:00';
  }

  // -- dirty state ---------------------------------------------------------------------------------
  markDirty(file) {
    if (file) {
      this.changed.add(file);
    }
    this.dirty = true;
    this.updateDirty();
  }

  // what this page changed, to send (the server puts it over the draft as it is now)
  changedFiles() {
    const files = {};
    const base = {};
    for (const name of this.changed) {
      files[name] = this.files[name];
      if (this.base[name]) {
        base[name] = this.base[name];
      }
    }
    return { files, base };
  }

  updateDirty() {
    this.root.classList.toggle('is-dirty', this.dirty);
    const flag = document.getElementById('modeler-dirty');
    if (flag) {
      flag.hidden = !this.dirty;
    }
  }

  // -- problems --------------------------------------------------------------------------------------
  problemsFor(file, id) {
    return (this.problems || []).filter((p) => p.file === file && p.element_id === id && id);
  }

  problemText(problem) {
    const title = (this.labels.codes || {})[problem.code];
    return (title ? title + ': ' : '') + problem.message;
  }

  setProblems(problems) {
    this.problems = problems || [];
    this.renderProblemList();
    this.updateTabCounts();
    this.drawProblems();
    if (this.activeFile && this.activeFile.endsWith('.dmn')) {
      this.tables.show(this.activeFile);
    }
    this.panel.show(this.panel.element && this.registry().get(this.panel.element.id) ? this.panel.element : null);
    const deploy = document.getElementById('modeler-deploy');
    if (deploy) {
      deploy.classList.toggle('is-blocked', this.problems.length > 0);
    }
  }

  shapeFor(id) {
    const registry = this.registry();
    const direct = registry.get(id);
    if (direct) {
      return direct;
    }
    // a problem about a whole process: its pool
    return registry.filter((e) => e.type === 'bpmn:Participant' && e.businessObject.processRef &&
      e.businessObject.processRef.id === id)[0] || null;
  }

  drawProblems() {
    if (!this.activeFile || !this.activeFile.endsWith('.bpmn')) {
      return;
    }
    const overlays = this.modeler.get('overlays');
    const canvas = this.modeler.get('canvas');
    overlays.remove({ type: 'problem' });
    for (const element of this.registry().getAll()) {
      canvas.removeMarker(element, 'has-problem');
    }
    const counts = new Map();
    for (const problem of this.problems || []) {
      if (problem.file !== this.activeFile || !problem.element_id) {
        continue;
      }
      const shape = this.shapeFor(problem.element_id);
      if (!shape) {
        continue;
      }
      if (!counts.has(shape)) {
        counts.set(shape, []);
      }
      counts.get(shape).push(problem);
    }
    for (const [shape, list] of counts) {
      canvas.addMarker(shape, 'has-problem');
      const badge = el('button', 'problem-badge', String(list.length));
      badge.type = 'button';
      badge.title = list.map((p) => this.problemText(p)).join('\n');
      badge.setAttribute('aria-label', this.t('problems_on').replace('{name}', shape.businessObject.name || shape.id) +
        ': ' + badge.title);
      badge.dataset.element = shape.id;
      badge.addEventListener('click', () => this.selectElement(shape.id));
      const position = shape.waypoints ? { top: -12, left: -12 } : { top: -12, right: 12 };
      overlays.add(shape, 'problem', { position, html: badge });
    }
  }

  renderProblemList() {
    const list = this.problemList;
    list.replaceChildren();
    const problems = this.problems || [];
    this.problemCount.textContent = String(problems.length);
    this.problemCount.hidden = false;
    this.problemCount.className = 'badge ' + (problems.length ? 'badge-danger' : 'badge-ok');
    if (!problems.length) {
      list.appendChild(el('li', 'problem-none', this.t('problems_none')));
      return;
    }
    for (const problem of problems) {
      const item = el('li', 'problem-item');
      item.dataset.code = problem.code || '';
      item.dataset.file = problem.file || '';
      item.dataset.element = problem.element_id || '';
      const title = (this.labels.codes || {})[problem.code] || problem.code;
      const head = el('div', 'problem-head');
      head.appendChild(el('span', 'badge badge-danger', title));
      if (problem.element_name || problem.element_id) {
        head.appendChild(el('strong', 'problem-element', problem.element_name || problem.element_id));
      }
      if (problem.element_id && problem.element_name) {
        head.appendChild(el('code', 'problem-id', problem.element_id));
      }
      if (problem.file) {
        head.appendChild(el('span', 'problem-file muted', problem.file + (problem.line ? ':' + problem.line : '')));
      }
      item.appendChild(head);
      item.appendChild(el('p', 'problem-message', problem.message));
      if (problem.file && this.files[problem.file] !== undefined && (problem.file.endsWith('.bpmn') || problem.file.endsWith('.dmn'))) {
        const show = el('button', 'btn btn-small', this.t('show_element'));
        show.type = 'button';
        show.addEventListener('click', () => this.showProblem(problem));
        item.appendChild(show);
      } else if (problem.file && problem.file.endsWith('.json') && this.files[problem.file] !== undefined) {
        const link = el('a', 'btn btn-small', this.t('form_edit'));
        link.href = this.formUrl(problem.file);
        item.appendChild(link);
      }
      list.appendChild(item);
    }
  }

  async showProblem(problem) {
    await this.openFile(problem.file);
    if (problem.file.endsWith('.dmn')) {
      this.tables.focus(problem.element_id);
      return;
    }
    this.selectElement(problem.element_id);
  }

  selectElement(id) {
    const shape = this.shapeFor(id);
    if (!shape) {
      return;
    }
    const canvas = this.modeler.get('canvas');
    if (typeof canvas.scrollToElement === 'function') {
      canvas.scrollToElement(shape, { top: 80, bottom: 80, left: 80, right: 80 });
    }
    if (this.readOnly) {
      this.panel.show(shape);
    } else {
      this.modeler.get('selection').select(shape);
    }
    if (typeof canvas.focus === 'function') {
      canvas.focus(); // keyboard shortcuts (undo, delete …) act on the diagram
    }
  }

  // -- actions -------------------------------------------------------------------------------------
  bindActions() {
    const on = (id, fn) => {
      const button = document.getElementById(id);
      if (button) {
        button.addEventListener('click', fn);
      }
    };
    on('modeler-validate', () => this.validate());
    on('modeler-save', () => this.save());
    on('modeler-deploy', () => this.openDeploy());
    on('modeler-discard', () => this.openDialog('modeler-discard-dialog'));
    on('modeler-discard-confirm', () => this.discard());
    for (const button of document.querySelectorAll('[data-close-dialog]')) {
      button.addEventListener('click', () => button.closest('dialog').close());
    }
    const form = document.getElementById('modeler-deploy-form');
    if (form) {
      form.addEventListener('submit', (event) => {
        event.preventDefault();
        this.deploy();
      });
    }
  }

  openDialog(id) {
    const dialog = document.getElementById(id);
    if (dialog && !dialog.open) {
      dialog.showModal();
    }
    return dialog;
  }

  busy(flag) {
    this.root.classList.toggle('is-busy', flag);
    for (const id of ['modeler-validate', 'modeler-save', 'modeler-deploy', 'modeler-discard']) {
      const button = document.getElementById(id);
      if (button) {
        button.disabled = flag;
      }
    }
  }

  async validate() {
    this.busy(true);
    this.say(this.t('validating'));
    try {
      await this.syncCurrent();
      const answer = await this.post('validate', { files: this.changedFiles().files });
      this.setProblems(answer.problems);
      this.sayProblems();
    } catch (err) {
      this.say(err.message, 'error');
    } finally {
      this.busy(false);
    }
  }

  sayProblems() {
    const n = (this.problems || []).length;
    if (n) {
      this.say(this.t('problems_found').replace('{n}', n), 'error');
    } else {
      this.say(this.t('valid'), 'ok');
    }
  }

  async save() {
    this.busy(true);
    this.say(this.t('saving'));
    try {
      await this.syncCurrent();
      const answer = await this.request('PUT', this.urls.draft, this.changedFiles());
      if (answer.errors) {
        this.say(Object.values(answer.errors).flat().join(' '), 'error');
        return false;
      }
      this.base = { ...this.base, ...(answer.digests || {}) };
      this.changed.clear();
      this.dirty = false;
      this.data.is_draft = true;
      this.updateDirty();
      this.setProblems(answer.problems);
      const n = this.problems.length;
      this.say(n ? this.t('saved_with_problems').replace('{n}', n) : this.t('saved'), n ? 'error' : 'ok');
      const origin = document.getElementById('modeler-origin');
      if (origin && answer.saved_label) {
        origin.textContent = answer.saved_label;
      }
      return true;
    } catch (err) {
      this.say(err.message, 'error');
      return false;
    } finally {
      this.busy(false);
    }
  }

  async openDeploy() {
    const dialog = document.getElementById('modeler-deploy-dialog');
    const result = document.getElementById('modeler-deploy-result');
    const form = document.getElementById('modeler-deploy-form');
    result.hidden = true;
    form.hidden = false;
    // the deploy works on the stored draft: save what is on screen first (it returns the problems)
    if (this.dirty || !this.data.is_draft || this.problems === null) {
      const saved = await this.save();
      if (!saved) {
        return;
      }
    }
    const blocked = (this.problems || []).length > 0;
    const warning = document.getElementById('modeler-deploy-blocked');
    warning.hidden = !blocked;
    warning.textContent = this.t('deploy_blocked').replace('{n}', (this.problems || []).length);
    document.getElementById('modeler-deploy-confirm').disabled = blocked;
    document.getElementById('modeler-deploy-error').hidden = true;
    dialog.showModal();
    if (!blocked) {
      document.getElementById('modeler-change-note').focus();
    }
  }

  async deploy() {
    const noteField = document.getElementById('modeler-change-note');
    const error = document.getElementById('modeler-deploy-error');
    const note = noteField.value.trim();
    error.hidden = true;
    if (!note) {
      error.textContent = this.t('change_note_required');
      error.hidden = false;
      noteField.focus();
      return;
    }
    const confirm = document.getElementById('modeler-deploy-confirm');
    confirm.disabled = true;
    try {
      const answer = await this.post('deploy', { change_note: note });
      if (answer.problems) {
        this.setProblems(answer.problems);
        error.textContent = this.t('deploy_refused');
        error.hidden = false;
        return;
      }
      if (answer.errors) {
        error.textContent = Object.values(answer.errors).flat().join(' ');
        error.hidden = false;
        return;
      }
      this.showDeployed(answer);
    } catch (err) {
      error.textContent = err.message;
      error.hidden = false;
    } finally {
      confirm.disabled = (this.problems || []).length > 0;
    }
  }

  showDeployed(answer) {
    const form = document.getElementById('modeler-deploy-form');
    const result = document.getElementById('modeler-deploy-result');
    form.hidden = true;
    result.hidden = false;
    const message = document.getElementById('modeler-deploy-message');
    message.textContent = (answer.created ? this.t('deployed') : this.t('unchanged')).replace('{version}', answer.version);
    const diff = document.getElementById('modeler-deploy-diff');
    if (diff) {
      diff.hidden = !(answer.created && answer.version > 1);
      diff.href = this.urls.diff + '?from=' + (answer.version - 1) + '&to=' + answer.version;
    }
    this.dirty = false;
    this.data.is_draft = false;
    this.updateDirty();
    this.root.dataset.version = String(answer.version);
    this.say(message.textContent, 'ok');
    const origin = document.getElementById('modeler-origin');
    if (origin && answer.origin_label) {
      origin.textContent = answer.origin_label;
    }
  }

  async discard() {
    const dialog = document.getElementById('modeler-discard-dialog');
    try {
      if (this.data.is_draft) {
        await this.request('DELETE', this.urls.draft);
      }
      this.data = await this.request('GET', this.urls.draft);
    } catch (err) {
      this.say(err.message, 'error');
      dialog.close();
      return;
    }
    dialog.close();
    const keep = this.activeFile;
    this.activeFile = null;
    this.viewboxes = {};
    this.loadFiles(this.data.files, this.data.digests);
    this.problems = null;
    this.problemList.replaceChildren(el('li', 'problem-none', this.t('problems_not_checked')));
    this.problemCount.hidden = true;
    this.dirty = false;
    await this.openFile(this.files[keep] !== undefined ? keep : this.fileList()[0].name);
    this.dirty = false;
    this.updateDirty();
    const origin = document.getElementById('modeler-origin');
    if (origin && this.data.origin_label) {
      origin.textContent = this.data.origin_label;
    }
    this.say(this.t('discarded'), 'ok');
  }
}

function start() {
  const root = document.querySelector('.modeler[data-key]');
  if (root && !root.dataset.started) {
    root.dataset.started = '1';
    const app = new ModelerApp(root);
    root.modelerApp = app;
    app.start();
  }
}

if (document.readyState === 'loading') {
  document.addEventListener('DOMContentLoaded', start);
} else {
  start();
}
