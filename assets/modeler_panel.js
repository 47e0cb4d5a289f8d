// Our properties panel (plain DOM, no framework) for the element selected in the modeler: the
// fields our engine reads. Inputs commit on `change`; previews (due rule, timer) ask the server on
// `input` (debounced). Every word comes from the page's labels (translated by the server).
import { el } from './modeler_dom.js';
import { SpiffEditor, is } from './modeler_spiff.js';

const TIMER_KINDS = ['timeDate', 'timeDuration', 'timeCycle'];
const LANE_ROLES = ['intake_officer', 'handler', 'supervisor', 'complainant', 'process_owner'];
const TYPE_KEYS = [
  'bpmn:UserTask', 'bpmn:ScriptTask', 'bpmn:BusinessRuleTask', 'bpmn:ServiceTask', 'bpmn:ManualTask',
  'bpmn:SendTask', 'bpmn:ReceiveTask', 'bpmn:CallActivity', 'bpmn:SubProcess', 'bpmn:Task',
  'bpmn:StartEvent', 'bpmn:EndEvent', 'bpmn:BoundaryEvent', 'bpmn:IntermediateCatchEvent',
  'bpmn:IntermediateThrowEvent', 'bpmn:ExclusiveGateway', 'bpmn:ParallelGateway', 'bpmn:InclusiveGateway',
  'bpmn:EventBasedGateway', 'bpmn:SequenceFlow', 'bpmn:Lane', 'bpmn:Participant', 'bpmn:Process',
  'bpmn:Collaboration', 'bpmn:TextAnnotation', 'bpmn:DataObjectReference', 'bpmn:DataStoreReference',
  'bpmn:Group', 'bpmn:Association', 'bpmn:MessageFlow'
];

let uid = 0;
function nextId(prefix) {
  uid += 1;
  return prefix + '-' + uid;
}

function debounce(fn, wait) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), wait);
  };
}

export class PropertiesPanel {
  constructor(app, root) {
    this.app = app;
    this.root = root;
    this.t = app.t.bind(app);
    this.element = null;
    this.committing = false;
    this.sampleStart = app.data.sample_start || '';
    this.sampleValues = {};
  }

  attach(modeler) {
    this.modeler = modeler;
    this.spiff = new SpiffEditor(modeler);
    const bus = modeler.get('eventBus');
    bus.on('selection.changed', (event) => {
      const selected = event.newSelection || [];
      this.show(selected.length === 1 ? selected[0] : null);
    });
    bus.on('elements.changed', (event) => {
      if (this.committing || !this.element) {
        return;
      }
      const ids = new Set((event.elements || []).map((e) => e.id));
      if (ids.has(this.element.id) || this.element.type === 'bpmn:UserTask') {
        // a lane move changes the role without touching the task itself
        const current = modeler.get('elementRegistry').get(this.element.id);
        this.show(current || null);
      }
    });
    this.show(null);
  }

  // -- helpers ---------------------------------------------------------------------------------
  commit(fn) {
    if (this.app.readOnly || !this.element) {
      return;
    }
    this.committing = true;
    try {
      fn(this.element);
    } finally {
      this.committing = false;
    }
  }

  typeLabel(element) {
    const bo = element.businessObject;
    const key = TYPE_KEYS.find((type) => is(bo, type)) || element.type;
    const types = this.app.labels.types || {};
    if (key === 'bpmn:IntermediateCatchEvent' || key === 'bpmn:BoundaryEvent' || key === 'bpmn:StartEvent') {
      if (this.spiffRead().timerDefinition(bo)) {
        return types[key + ':timer'] || types[key] || key;
      }
    }
    return types[key] || key.replace('bpmn:', '');
  }

  spiffRead() {
    return this.spiff;
  }

  section(title) {
    const box = el('section', 'mp-section');
    if (title) {
      box.appendChild(el('h3', 'mp-section-title', title));
    }
    this.body.appendChild(box);
    return box;
  }

  field(parent, label, control, help) {
    const wrap = el('div', 'mp-field');
    const id = control.id || nextId('mp');
    control.id = id;
    const lab = el('label', 'mp-label', label);
    lab.htmlFor = id;
    wrap.append(lab, control);
    if (help) {
      const hint = el('p', 'mp-help', help);
      hint.id = id + '-help';
      control.setAttribute('aria-describedby', hint.id);
      wrap.appendChild(hint);
    }
    if (this.app.readOnly) {
      control.disabled = true;
    }
    parent.appendChild(wrap);
    return wrap;
  }

  input(value, onChange, attrs) {
    const input = el('input', 'mp-input');
    input.type = 'text';
    input.value = value || '';
    Object.assign(input, attrs || {});
    input.addEventListener('change', () => this.commit((element) => onChange(element, input.value.trim())));
    return input;
  }

  textarea(value, onChange, rows, mono) {
    const area = el('textarea', 'mp-input mp-textarea' + (mono ? ' mono' : ''));
    area.rows = rows || 3;
    area.value = value || '';
    area.spellcheck = !mono;
    area.addEventListener('change', () => this.commit((element) => onChange(element, area.value)));
    return area;
  }

  select(options, value, onChange) {
    const select = el('select', 'mp-input');
    let found = false;
    for (const [code, text] of options) {
      const option = el('option', null, text);
      option.value = code;
      if (code === (value || '')) {
        option.selected = true;
        found = true;
      }
      select.appendChild(option);
    }
    if (!found && value) {
      const option = el('option', null, value);
      option.value = value;
      option.selected = true;
      select.appendChild(option);
    }
    select.addEventListener('change', () => this.commit((element) => onChange(element, select.value)));
    return select;
  }

  // -- render ----------------------------------------------------------------------------------
  show(element) {
    this.element = element;
    this.root.replaceChildren();
    this.body = this.root;
    if (!element) {
      this.showProcess();
      return;
    }
    const bo = element.businessObject;
    const head = el('div', 'mp-head');
    head.appendChild(el('span', 'mp-type', this.typeLabel(element)));
    head.appendChild(el('code', 'mp-id', bo.id));
    this.root.appendChild(head);
    const problems = this.app.problemsFor(this.app.activeFile, bo.id);
    if (problems.length) {
      const list = el('ul', 'mp-problems');
      for (const problem of problems) {
        list.appendChild(el('li', null, this.app.problemText(problem)));
      }
      this.root.appendChild(list);
    }
    if (element.type === 'label') {
      return;
    }
    if (is(bo, 'bpmn:Lane')) {
      this.renderLane(element);
      return;
    }
    const general = this.section(null);
    this.nameField(general, element);

    if (is(bo, 'bpmn:UserTask')) {
      this.renderUserTask(element);
    } else if (is(bo, 'bpmn:ScriptTask')) {
      this.renderScriptTask(element);
    } else if (is(bo, 'bpmn:BusinessRuleTask')) {
      this.renderBusinessRule(element);
    } else if (is(bo, 'bpmn:CallActivity')) {
      this.renderCallActivity(element);
    } else if (is(bo, 'bpmn:SequenceFlow')) {
      this.renderFlow(element);
    } else if (is(bo, 'bpmn:ExclusiveGateway') || is(bo, 'bpmn:InclusiveGateway')) {
      this.renderGateway(element);
    }
    if (this.spiffRead().timerDefinition(bo)) {
      this.renderTimer(element);
    }
    if (this.spiffRead().messageDefinition(bo)) {
      this.renderMessage(element);
    }
    if (is(bo, 'bpmn:Activity') && !is(bo, 'bpmn:ScriptTask')) {
      this.renderTaskScripts(element);
    }
    if (is(bo, 'bpmn:FlowElement') || is(bo, 'bpmn:Participant')) {
      this.documentationField(element);
    }
  }

  showProcess() {
    const hint = el('p', 'mp-empty', this.t('nothing_selected'));
    this.root.appendChild(hint);
    const processes = this.app.processesIn(this.app.activeFile);
    if (processes.length) {
      const box = this.section(this.t('process'));
      const dl = el('dl', 'mp-facts');
      for (const process of processes) {
        dl.append(el('dt', null, this.t('process_id')), el('dd', 'mono', process.id));
        dl.append(el('dt', null, this.t('name')), el('dd', null, process.name || ''));
        if (process.id === this.app.key) {
          dl.append(el('dt', null, this.t('main_process')), el('dd', null, this.t('yes')));
        }
      }
      box.appendChild(dl);
    }
  }

  nameField(parent, element) {
    const bo = element.businessObject;
    const input = this.input(bo.name, (target, value) => {
      this.app.modeling().updateLabel(target, value);
    });
    this.field(parent, this.t('name'), input);
  }

  documentationField(element) {
    const box = this.section(null);
    const area = this.textarea(this.spiffRead().documentation(element.businessObject),
      (target, value) => this.spiff.setDocumentation(target, value), 2);
    this.field(box, this.t('documentation'), area, this.t('documentation_help'));
  }

  // -- user task ------------------------------------------------------------------------------
  renderUserTask(element) {
    const spiff = this.spiffRead();
    const bo = element.businessObject;
    const props = spiff.properties(bo);
    const box = this.section(this.t('handling'));

    // role = lane
    const lane = this.app.laneOf(element);
    const role = el('p', 'mp-role');
    if (lane) {
      const code = lane.businessObject.name || '';
      role.appendChild(el('strong', null, this.app.roleLabel(code)));
      role.appendChild(el('code', 'mp-role-code', code));
    } else {
      role.appendChild(el('span', 'muted', this.t('role_none')));
    }
    const roleField = el('div', 'mp-field');
    roleField.append(el('span', 'mp-label', this.t('role')), role, el('p', 'mp-help', this.t('role_help')));
    box.appendChild(roleField);

    // form (any name may be typed; the draft's forms are offered)
    const forms = this.app.formFiles();
    const list = el('datalist');
    list.id = nextId('mp-forms');
    for (const name of forms) {
      const option = el('option');
      option.value = name;
      list.appendChild(option);
    }
    const hints = el('div', 'mp-form-hints');
    const showHints = (form, ui) => {
      hints.replaceChildren();
      if (form && !forms.includes(form)) {
        hints.appendChild(el('p', 'mp-warning', this.t('form_missing')));
      }
      if (form && forms.includes(form)) {
        const link = el('a', 'mp-link', this.t('form_edit'));
        link.href = this.app.formUrl(form);
        hints.appendChild(link);
      }
      if (ui) {
        hints.appendChild(el('p', 'mp-help', this.t('ui_form') + ' ' + ui));
      }
    };
    const formInput = this.input(props.formJsonSchemaFilename, (target, value) => {
      this.spiff.setProperty(target, 'formJsonSchemaFilename', value);
      const ui = value.replace(/\.schema\.json$/, '.ui.json');
      const hasUi = value && ui !== value && this.app.files[ui] !== undefined;
      this.spiff.setProperty(target, 'formUiSchemaFilename', hasUi ? ui : '');
      showHints(value, hasUi ? ui : '');
    });
    formInput.setAttribute('list', list.id);
    formInput.classList.add('mono');
    formInput.name = 'formJsonSchemaFilename';
    const formField = this.field(box, this.t('form'), formInput, this.t('form_help'));
    formField.append(list, hints);
    showHints(props.formJsonSchemaFilename, props.formUiSchemaFilename);

    // due rule with the due date for a sample start
    const dueInput = this.input(props.dueRule, (target, value) => {
      this.spiff.setProperty(target, 'dueRule', value);
    });
    dueInput.classList.add('mono');
    dueInput.name = 'dueRule';
    dueInput.placeholder = '10 workdays';
    const dueField = this.field(box, this.t('due_rule'), dueInput, this.t('due_rule_help'));
    const preview = this.previewBox(dueField, () => ({ what: 'due_rule', rule: dueInput.value.trim() }));
    dueInput.addEventListener('input', preview.refresh);
    preview.refresh();

    // stage
    const stages = [['', this.t('stage_none')], ...Object.entries(this.app.data.stages || {})];
    const stage = this.select(stages, props.stage, (target, value) => this.spiff.setProperty(target, 'stage', value));
    this.field(box, this.t('stage'), stage);

    // instructions
    const instructions = this.textarea(spiff.text(bo, 'spiffworkflow:InstructionsForEndUser'),
      (target, value) => this.spiff.setText(target, 'spiffworkflow:InstructionsForEndUser', value.trim()), 4);
    instructions.name = 'instructions';
    this.field(box, this.t('instructions'), instructions, this.t('instructions_help'));

    // other properties, shown as they are
    const known = new Set(['formJsonSchemaFilename', 'formUiSchemaFilename', 'dueRule', 'stage']);
    const others = Object.entries(props).filter(([name]) => !known.has(name));
    if (others.length) {
      const dl = el('dl', 'mp-facts');
      for (const [name, value] of others) {
        dl.append(el('dt', 'mono', name), el('dd', 'mono', value));
      }
      const wrap = el('div', 'mp-field');
      wrap.append(el('span', 'mp-label', this.t('other_properties')), dl);
      box.appendChild(wrap);
    }
  }

  // -- sample previews ---------------------------------------------------------------------------
  previewBox(parent, request) {
    const box = el('div', 'mp-preview');
    const startId = nextId('mp-start');
    const startRow = el('div', 'mp-preview-row');
    const startLabel = el('label', 'mp-help', this.t('sample_start'));
    startLabel.htmlFor = startId;
    const start = el('input', 'mp-input mp-input-small');
    start.type = 'datetime-local';
    start.id = startId;
    start.value = this.sampleStart;
    startRow.append(startLabel, start);
    const vars = el('div', 'mp-preview-vars');
    const result = el('p', 'mp-preview-result');
    result.setAttribute('aria-live', 'polite');
    box.append(startRow, vars, result);
    parent.appendChild(box);
    let token = 0;
    const shownVars = new Map();

    const refresh = debounce(async () => {
      const body = request();
      if (!body) {
        return;
      }
      body.start = start.value;
      body.data = {};
      for (const [name, input] of shownVars) {
        if (input.value) {
          body.data[name] = input.value;
        }
      }
      const mine = ++token;
      let answer;
      try {
        answer = await this.app.post('preview', body);
      } catch (err) {
        answer = { ok: false, error: err.message };
      }
      if (mine !== token) {
        return;
      }
      for (const name of answer.variables || []) {
        if (!shownVars.has(name)) {
          const row = el('div', 'mp-preview-row');
          const id = nextId('mp-var');
          const label = el('label', 'mp-help', this.t('sample_value').replace('{name}', name));
          label.htmlFor = id;
          const input = el('input', 'mp-input mp-input-small');
          input.type = 'datetime-local';
          input.id = id;
          input.value = this.sampleValues[name] || this.app.defaultSample(start.value);
          input.addEventListener('input', () => {
            this.sampleValues[name] = input.value;
            refresh();
          });
          row.append(label, input);
          vars.appendChild(row);
          shownVars.set(name, input);
          if (!this.sampleValues[name]) {
            this.sampleValues[name] = input.value;
          }
          refresh();
        }
      }
      result.replaceChildren();
      result.classList.toggle('is-error', !answer.ok);
      if (answer.ok) {
        result.appendChild(el('span', 'mp-preview-label', this.t(body.what === 'timer' ? 'first_due' : 'due_at')));
        result.appendChild(el('strong', 'mp-preview-due', answer.due_label));
        if (answer.rule_label) {
          result.appendChild(el('span', 'muted', ' (' + answer.rule_label + ')'));
        }
        if (body.what === 'timer' && body.kind === 'timeCycle') {
          const repeats = answer.repeats === null || answer.repeats === undefined
            ? this.t('repeats_forever') : this.t('repeats_n').replace('{n}', answer.repeats);
          result.appendChild(el('span', 'muted', ' · ' + repeats));
        }
      } else {
        result.textContent = answer.error || '';
      }
    }, 250);
    start.addEventListener('input', () => {
      this.sampleStart = start.value;
      refresh();
    });
    return { refresh };
  }

  // -- script task, pre/post scripts ----------------------------------------------------------
  renderScriptTask(element) {
    const box = this.section(this.t('script_task'));
    const area = this.textarea(element.businessObject.script, (target, value) => this.spiff.setScript(target, value), 8, true);
    area.name = 'script';
    this.field(box, this.t('script'), area, this.t('script_help'));
  }

  renderTaskScripts(element) {
    const spiff = this.spiffRead();
    const bo = element.businessObject;
    const pre = spiff.text(bo, 'spiffworkflow:PreScript');
    const post = spiff.text(bo, 'spiffworkflow:PostScript');
    const details = el('details', 'mp-section mp-details');
    if (pre || post) {
      details.open = true;
    }
    details.appendChild(el('summary', 'mp-section-title', this.t('scripts')));
    this.body.appendChild(details);
    for (const [type, label, value] of [['spiffworkflow:PreScript', 'pre_script', pre],
      ['spiffworkflow:PostScript', 'post_script', post]]) {
      const area = this.textarea(value, (target, text) => this.spiff.setText(target, type, text.trim() ? text : ''), 3, true);
      this.field(details, this.t(label), area);
    }
    details.appendChild(el('p', 'mp-help', this.t('script_help')));
  }

  // -- business rule, call activity -------------------------------------------------------------
  renderBusinessRule(element) {
    const box = this.section(this.t('business_rule'));
    const current = this.spiffRead().text(element.businessObject, 'spiffworkflow:CalledDecisionId');
    const options = [['', this.t('decision_none')], ...this.app.decisions().map((d) => [d.id, d.name ? d.name + ' (' + d.id + ')' : d.id])];
    const select = this.select(options, current,
      (target, value) => this.spiff.setText(target, 'spiffworkflow:CalledDecisionId', value));
    select.name = 'calledDecisionId';
    this.field(box, this.t('decision'), select, this.t('decision_help'));
  }

  renderCallActivity(element) {
    const box = this.section(this.t('call_activity'));
    const current = element.businessObject.calledElement || '';
    const options = [['', this.t('process_none')], ...this.app.allProcesses().map((p) => [p.id, p.name ? p.name + ' (' + p.id + ')' : p.id])];
    const select = this.select(options, current,
      (target, value) => this.app.modeling().updateProperties(target, { calledElement: value || undefined }));
    const field = this.field(box, this.t('called_process'), select);
    const file = this.app.fileOfProcess(current);
    if (file) {
      const open = el('button', 'btn btn-small mp-link-button', this.t('open_called'));
      open.type = 'button';
      open.addEventListener('click', () => this.app.openFile(file));
      field.appendChild(open);
    }
  }

  // -- flows and gateways ------------------------------------------------------------------------
  renderFlow(element) {
    const bo = element.businessObject;
    const source = bo.sourceRef;
    const box = this.section(this.t('sequence_flow'));
    const fromGateway = source && (is(source, 'bpmn:ExclusiveGateway') || is(source, 'bpmn:InclusiveGateway'));
    const isDefault = fromGateway && source.default === bo;
    if (fromGateway) {
      const check = el('input');
      check.type = 'checkbox';
      check.checked = !!isDefault;
      check.name = 'isDefault';
      check.id = nextId('mp-default');
      check.disabled = this.app.readOnly;
      check.addEventListener('change', () => this.commit(() => {
        const gateway = this.app.registry().get(source.id);
        if (gateway) {
          this.app.modeling().updateProperties(gateway, { default: check.checked ? bo : undefined });
        }
      }));
      const row = el('div', 'mp-field mp-check');
      const label = el('label', null, this.t('is_default'));
      label.htmlFor = check.id;
      row.append(check, label);
      box.appendChild(row);
    }
    if (!isDefault) {
      const area = this.textarea(this.spiffRead().condition(bo),
        (target, value) => this.spiff.setCondition(target, value.trim()), 2, true);
      area.name = 'condition';
      this.field(box, this.t('condition'), area, this.t('condition_help'));
    }
  }

  renderGateway(element) {
    const bo = element.businessObject;
    const outgoing = bo.outgoing || [];
    if (outgoing.length < 2) {
      return;
    }
    const box = this.section(this.t('gateway'));
    const options = [['', this.t('default_none')], ...outgoing.map((flow) => [flow.id, (flow.name ? flow.name + ' · ' : '') + flow.id])];
    const select = this.select(options, bo.default ? bo.default.id : '', (target, value) => {
      const flow = outgoing.find((f) => f.id === value);
      this.app.modeling().updateProperties(target, { default: flow || undefined });
    });
    select.name = 'default';
    this.field(box, this.t('default_flow'), select, this.t('default_help'));
  }

  // -- lanes ----------------------------------------------------------------------------------
  renderLane(element) {
    const box = this.section(this.t('lane'));
    const code = element.businessObject.name || '';
    const options = LANE_ROLES.map((role) => [role, this.app.roleLabel(role) + ' (' + role + ')']);
    const select = this.select(options, code, (target, value) => this.app.modeling().updateLabel(target, value));
    select.name = 'role';
    this.field(box, this.t('lane_role'), select, this.t('lane_help'));
  }

  // -- timers, messages --------------------------------------------------------------------------
  renderTimer(element) {
    const spiff = this.spiffRead();
    const timer = spiff.timer(element.businessObject) || { kind: 'timeDate', expression: '' };
    const box = this.section(this.t('timer'));
    const kinds = TIMER_KINDS.map((kind) => [kind, this.t(kind)]);
    let kindSelect = null;
    const expression = this.input(timer.expression, (target, value) => {
      this.spiff.setTimer(target, kindSelect.value, value);
    });
    expression.classList.add('mono');
    expression.name = 'timerExpression';
    kindSelect = this.select(kinds, timer.kind, (target, value) => {
      this.spiff.setTimer(target, value, expression.value.trim());
      preview.refresh();
    });
    kindSelect.name = 'timerKind';
    this.field(box, this.t('timer_kind'), kindSelect);
    const field = this.field(box, this.t('timer_expression'), expression, this.t('timer_help'));
    const preview = this.previewBox(field, () => ({
      what: 'timer', kind: kindSelect.value, expression: expression.value.trim()
    }));
    expression.addEventListener('input', preview.refresh);
    preview.refresh();
  }

  renderMessage(element) {
    const spiff = this.spiffRead();
    const def = spiff.messageDefinition(element.businessObject);
    const box = this.section(this.t('message'));
    const dl = el('dl', 'mp-facts');
    dl.append(el('dt', null, this.t('message_name')), el('dd', 'mono', def.messageRef ? def.messageRef.name || def.messageRef.id : ''));
    const variable = spiff.text(def, 'spiffworkflow:MessageVariable');
    if (variable) {
      dl.append(el('dt', null, this.t('message_variable')), el('dd', 'mono', variable));
    }
    box.appendChild(dl);
  }
}
