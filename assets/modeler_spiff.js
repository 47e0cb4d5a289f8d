// Reading and writing what our engine reads from a BPMN element (namespace `spiffworkflow`, see
// spiffworkflow.json and docs/modelling.md): user-task properties, instructions, pre/post scripts,
// the called decision, timer expressions, conditions, documentation. Every write goes through
// bpmn-js's `modeling` commands, so it can be undone and marks the draft as changed.

export const SPIFF = 'spiffworkflow';

function is(bo, type) {
  return !!bo && typeof bo.$instanceOf === 'function' && bo.$instanceOf(type);
}

export function extensionValues(bo) {
  return (bo && bo.extensionElements && bo.extensionElements.values) || [];
}

export function findExtension(bo, type) {
  return extensionValues(bo).find((value) => is(value, type)) || null;
}

export class SpiffEditor {
  constructor(modeler) {
    this.modeler = modeler;
    this.moddle = modeler.get('moddle');
  }

  // the viewer (read-only page) has no modeling service: reading needs none
  get modeling() {
    return this.modeler.get('modeling');
  }

  create(type, attrs, parent) {
    const element = this.moddle.create(type, attrs || {});
    if (parent) {
      element.$parent = parent;
    }
    return element;
  }

  // the element's bpmn:extensionElements, created when missing (one undoable command)
  extensionElements(element) {
    const bo = element.businessObject;
    if (bo.extensionElements) {
      return bo.extensionElements;
    }
    const ext = this.create('bpmn:ExtensionElements', { values: [] }, bo);
    this.modeling.updateProperties(element, { extensionElements: ext });
    return ext;
  }

  removeExtension(element, child) {
    const ext = element.businessObject.extensionElements;
    if (!ext) {
      return;
    }
    const values = ext.values.filter((value) => value !== child);
    this.modeling.updateModdleProperties(element, ext, { values });
  }

  // -- spiffworkflow:properties -------------------------------------------------------------
  properties(bo) {
    const out = {};
    const holder = findExtension(bo, 'spiffworkflow:Properties');
    for (const prop of (holder && holder.values) || []) {
      if (prop.name) {
        out[prop.name] = prop.value === undefined ? '' : prop.value;
      }
    }
    return out;
  }

  setProperty(element, name, value) {
    const bo = element.businessObject;
    let holder = findExtension(bo, 'spiffworkflow:Properties');
    const existing = holder ? (holder.values || []).find((prop) => prop.name === name) : null;
    const empty = value === undefined || value === null || value === '';
    if (existing && empty) {
      const values = holder.values.filter((prop) => prop !== existing);
      if (values.length) {
        this.modeling.updateModdleProperties(element, holder, { values });
      } else {
        this.removeExtension(element, holder);
      }
      return;
    }
    if (empty) {
      return;
    }
    if (existing) {
      this.modeling.updateModdleProperties(element, existing, { value });
      return;
    }
    const ext = this.extensionElements(element);
    if (!holder) {
      holder = this.create('spiffworkflow:Properties', { values: [] }, ext);
      this.modeling.updateModdleProperties(element, ext, { values: [...ext.values, holder] });
    }
    const prop = this.create('spiffworkflow:Property', { name, value }, holder);
    this.modeling.updateModdleProperties(element, holder, { values: [...(holder.values || []), prop] });
  }

  // -- body-text extensions (instructionsForEndUser, preScript, postScript, calledDecisionId …) --
  text(bo, type) {
    const node = findExtension(bo, type);
    return node && node.value ? node.value : '';
  }

  setText(element, type, value) {
    const bo = element.businessObject;
    const node = findExtension(bo, type);
    if (!value) {
      if (node) {
        this.removeExtension(element, node);
      }
      return;
    }
    if (node) {
      this.modeling.updateModdleProperties(element, node, { value });
      return;
    }
    const ext = this.extensionElements(element);
    const created = this.create(type, { value }, ext);
    this.modeling.updateModdleProperties(element, ext, { values: [...ext.values, created] });
  }

  // -- documentation ----------------------------------------------------------------------------
  documentation(bo) {
    const docs = bo.documentation || [];
    return docs.length ? docs[0].text || '' : '';
  }

  setDocumentation(element, text) {
    const bo = element.businessObject;
    const rest = (bo.documentation || []).slice(1);
    const docs = text ? [this.create('bpmn:Documentation', { text }, bo), ...rest] : rest;
    this.modeling.updateProperties(element, { documentation: docs });
  }

  // -- scripts, conditions ---------------------------------------------------------------------
  setScript(element, script) {
    this.modeling.updateProperties(element, { scriptFormat: element.businessObject.scriptFormat || 'python', script });
  }

  condition(bo) {
    return bo.conditionExpression ? bo.conditionExpression.body || '' : '';
  }

  setCondition(element, body) {
    const expr = body ? this.create('bpmn:FormalExpression', { body }) : undefined;
    this.modeling.updateProperties(element, { conditionExpression: expr });
  }

  // -- timers ----------------------------------------------------------------------------------
  timerDefinition(bo) {
    return (bo.eventDefinitions || []).find((def) => is(def, 'bpmn:TimerEventDefinition')) || null;
  }

  timer(bo) {
    const def = this.timerDefinition(bo);
    if (!def) {
      return null;
    }
    for (const kind of ['timeDate', 'timeDuration', 'timeCycle']) {
      if (def[kind]) {
        return { kind, expression: def[kind].body || '' };
      }
    }
    return { kind: 'timeDate', expression: '' };
  }

  setTimer(element, kind, expression) {
    const def = this.timerDefinition(element.businessObject);
    if (!def) {
      return;
    }
    const props = { timeDate: undefined, timeDuration: undefined, timeCycle: undefined };
    props[kind] = this.create('bpmn:FormalExpression', { body: expression }, def);
    this.modeling.updateModdleProperties(element, def, props);
  }

  // -- message variable (on the message event definition) ----------------------------------------
  messageDefinition(bo) {
    return (bo.eventDefinitions || []).find((def) => is(def, 'bpmn:MessageEventDefinition')) || null;
  }
}

export { is };
