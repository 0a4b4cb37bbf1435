// The process designer: bpmn-js (window.BpmnJS, our static copy) plus a small panel for what the
// engine needs and bpmn-js cannot edit without its properties panel: names, gateway conditions and
// default paths, timer durations, interrupting or not, a countersign's signers list and completion
// condition, a service step's operation, a script task's formulas and a business rule task's
// decision table (camunda:decisionRef).
(function () {
  "use strict";

  var form = document.getElementById("designer");
  if (!form || !window.BpmnJS) return;
  var modeler = new window.BpmnJS({ container: "#designer-canvas" });
  window.designerModeler = modeler;  // for the browser console and the browser tests
  var modeling = modeler.get("modeling");
  var moddle = modeler.get("moddle");
  var panel = document.getElementById("designer-panel");
  var field = function (id) { return document.getElementById(id); };
  var current = null;
  var CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn";
  var operations = JSON.parse(document.getElementById("designer-operations").textContent);
  var decisionIds = JSON.parse(document.getElementById("designer-decisions").textContent).map(function (t) { return t.id; });
  var dirty = false;
  var submitting = false;

  function is(element, type) {
    var bo = element && element.businessObject;
    return !!(bo && bo.$instanceOf && bo.$instanceOf(type));
  }

  function timerOf(element) {
    var defs = (element && element.businessObject.eventDefinitions) || [];
    return defs.filter(function (d) { return d.$instanceOf("bpmn:TimerEventDefinition"); })[0] || null;
  }

  function countersignOf(element) {
    var loop = is(element, "bpmn:UserTask") && element.businessObject.loopCharacteristics;
    return loop && loop.$instanceOf("bpmn:MultiInstanceLoopCharacteristics") ? loop : null;
  }

  function fromGateway(element) {
    return is(element, "bpmn:SequenceFlow") && element.source &&
      (is(element.source, "bpmn:ExclusiveGateway") || is(element.source, "bpmn:InclusiveGateway"));
  }

  // camunda:decisionRef is not in bpmn-moddle's schema, so bpmn-js keeps it in the element's $attrs
  // under the prefix the document gave the Camunda namespace; moddle writes such an attribute only
  // if the definitions declare that prefix (else it drops it with a console warning).
  function camundaPrefix(declare) {
    var attrs = modeler.getDefinitions().$attrs;
    var prefix = Object.keys(attrs).filter(function (name) {
      return name.indexOf("xmlns:") === 0 && attrs[name] === CAMUNDA_NS;
    }).map(function (name) { return name.slice(6); })[0];
    if (!prefix && declare) {
      prefix = "camunda";
      attrs["xmlns:camunda"] = CAMUNDA_NS;
    }
    return prefix || "camunda";
  }

  function decisionRefOf(element) { return element.businessObject.$attrs[camundaPrefix(false) + ":decisionRef"] || ""; }

  // A reference to process data by name (bpmn-moddle drops references it cannot resolve, and the
  // engine reads just the name), written out as <loopDataInputRef>name</loopDataInputRef>.
  function dataRef(name) { return name ? moddle.create("bpmn:DataInput", { id: name }) : undefined; }

  var edited = null;  // the field just applied shows what was stored, though it still has the focus

  function setValue(input, value) {
    if (document.activeElement !== input || input === edited) input.value = value == null ? "" : value;
  }

  function render() {
    var el = current;
    var bo = el && el.businessObject;
    var shown = {
      none: !el, any: !!el, lane: is(el, "bpmn:Lane"), condition: fromGateway(el),
      timer: !!timerOf(el), boundary: is(el, "bpmn:BoundaryEvent"), countersign: !!countersignOf(el),
      service: is(el, "bpmn:ServiceTask"), script: is(el, "bpmn:ScriptTask"), rule: is(el, "bpmn:BusinessRuleTask")
    };
    panel.querySelectorAll("[data-when]").forEach(function (node) { node.hidden = !shown[node.dataset.when]; });
    if (!el) return;
    panel.querySelector("[data-designer-type]").textContent = el.type.replace("bpmn:", "") + " · " + bo.id;
    setValue(field("dp-name"), bo.name);
    if (shown.lane) field("dp-name").setAttribute("list", "designer-role-list");
    else field("dp-name").removeAttribute("list");
    if (shown.condition) {
      var isDefault = el.source.businessObject.default === bo;
      setValue(field("dp-condition"), bo.conditionExpression ? bo.conditionExpression.body : "");
      field("dp-condition").disabled = isDefault;
      field("dp-default").checked = isDefault;
    }
    if (shown.timer) {
      var duration = timerOf(el).timeDuration;
      setValue(field("dp-timer"), duration ? duration.body : "");
    }
    if (shown.boundary) field("dp-interrupting").checked = bo.cancelActivity !== false;
    if (shown.countersign) {
      var loop = countersignOf(el);
      setValue(field("dp-signers"), loop.loopDataInputRef ? loop.loopDataInputRef.id : "");
      setValue(field("dp-completion"), loop.completionCondition ? loop.completionCondition.body : "");
      panel.querySelectorAll("[data-designer-step-data]").forEach(function (node) {
        node.textContent = bo.id + node.dataset.designerStepData;
      });
    }
    if (shown.service) showOperation(bo.implementation || "");
    if (shown.script) setValue(field("dp-script"), bo.script);
    if (shown.rule) {
      var table = decisionRefOf(el);
      setValue(field("dp-decision"), table);
      field("dp-decision-missing").hidden = !table || decisionIds.indexOf(table) !== -1;
    }
  }

  // The operations the platform offers; one the document names that is not among them stays
  // selectable (marked), so that the page shows what is there and publishing can name the problem.
  var operationSelect = field("dp-operation");
  operations.forEach(function (op) { operationSelect.add(new Option(op.label + " · " + op.name, op.name)); });
  var unknownOperation = new Option("", "");
  function showOperation(name) {
    var known = !name || operations.some(function (op) { return op.name === name; });
    if (known) unknownOperation.remove();
    else {
      unknownOperation.value = name;
      unknownOperation.text = name + " " + operationSelect.dataset.unknown;
      operationSelect.add(unknownOperation);
    }
    operationSelect.value = name;
  }

  var edits = {
    "dp-name": function (value) { modeling.updateLabel(current, value.trim() || null); },
    "dp-condition": function (value) {
      var body = value.trim();
      modeling.updateProperties(current, {
        conditionExpression: body ? moddle.create("bpmn:FormalExpression", { body: body }) : undefined
      });
    },
    "dp-default": function (_value, checked) {
      var gateway = current.source;
      if (checked && current.businessObject.conditionExpression) {
        modeling.updateProperties(current, { conditionExpression: undefined });
      }
      var wasDefault = gateway.businessObject.default === current.businessObject;
      if (checked || wasDefault) modeling.updateProperties(gateway, { default: checked ? current.businessObject : undefined });
    },
    "dp-timer": function (value) {
      var body = value.trim();
      // The engine evaluates the value as a formula, so a bare ISO duration is quoted for the user.
      if (/^P(?=\d|T\d)(\d+[YMWD])*(T(\d+[HM])*(\d+(\.\d+)?S)?)?$/.test(body)) body = '"' + body + '"';
      modeling.updateModdleProperties(current, timerOf(current), {
        timeDuration: body ? moddle.create("bpmn:FormalExpression", { body: body }) : undefined,
        timeDate: undefined,
        timeCycle: undefined
      });
    },
    "dp-interrupting": function (_value, checked) { modeling.updateProperties(current, { cancelActivity: checked }); },
    "dp-signers": function (value) {
      var loop = countersignOf(current);
      var id = current.businessObject.id;
      modeling.updateModdleProperties(current, loop, {
        loopDataInputRef: dataRef(value.trim()),
        inputDataItem: loop.inputDataItem || moddle.create("bpmn:DataInput", { id: "assignee", name: "assignee" }),
        outputDataItem: loop.outputDataItem || moddle.create("bpmn:DataOutput", { id: id + "_vote", name: "vote" }),
        loopDataOutputRef: loop.loopDataOutputRef || dataRef(id + "_votes")
      });
    },
    "dp-completion": function (value) {
      var body = value.trim();
      modeling.updateModdleProperties(current, countersignOf(current), {
        completionCondition: body ? moddle.create("bpmn:FormalExpression", { body: body }) : undefined
      });
    },
    "dp-operation": function (value) { modeling.updateProperties(current, { implementation: value || undefined }); },
    "dp-script": function (value) { modeling.updateProperties(current, { script: value.trim() ? value.trim() : undefined }); },
    "dp-decision": function (value) {
      var table = value.trim();
      var props = {};
      props[camundaPrefix(!!table) + ":decisionRef"] = table || undefined;
      modeling.updateProperties(current, props);
    }
  };

  panel.addEventListener("change", function (event) {
    var edit = edits[event.target.id];
    if (edit && current) {
      edit(event.target.value, event.target.checked);
      edited = event.target;
      render();
      edited = null;
    }
  });
  panel.addEventListener("keydown", function (event) {  // Enter applies the field instead of submitting
    if (event.key === "Enter" && event.target.tagName === "INPUT") {
      event.preventDefault();
      event.target.dispatchEvent(new Event("change", { bubbles: true }));
    }
  });

  modeler.on("selection.changed", function (event) {
    current = event.newSelection.length === 1 ? event.newSelection[0] : null;
    if (current && current.type === "label") current = current.labelTarget;
    render();
  });
  modeler.on("element.changed", function (event) { if (event.element === current) render(); });
  modeler.on("commandStack.changed", function (event) { if (event.trigger !== "clear") dirty = true; });

  // bpmn-moddle cannot resolve a multi-instance task's references to process data (they name data,
  // not elements), so they are read from the document and put back after the import.
  function loopRefs(xml) {
    var refs = [];
    var doc = new DOMParser().parseFromString(xml, "application/xml");
    Array.prototype.forEach.call(doc.getElementsByTagNameNS("*", "multiInstanceLoopCharacteristics"), function (loop) {
      var text = function (tag) {
        var node = loop.getElementsByTagNameNS("*", tag)[0];
        return node ? node.textContent.trim() : "";
      };
      refs.push({ task: loop.parentNode.getAttribute("id"), input: text("loopDataInputRef"), output: text("loopDataOutputRef") });
    });
    return refs;
  }

  // The whole diagram in view, at most 100 %; on a wide screen right of the palette, which floats
  // over the canvas (a phone has no room to spare for it).
  function fit() {
    var canvas = modeler.get("canvas");
    var box = canvas.viewbox();
    var palette = box.outer.width > 600 && form.querySelector(".djs-palette");
    var left = (palette ? palette.getBoundingClientRect().right - field("designer-canvas").getBoundingClientRect().left : 0) + 20;
    var scale = Math.min(1, (box.outer.width - left - 20) / box.inner.width, (box.outer.height - 40) / box.inner.height);
    if (!(scale > 0)) return;
    canvas.viewbox({
      x: box.inner.x - left / scale, y: box.inner.y - 20 / scale,
      width: box.outer.width / scale, height: box.outer.height / scale
    });
  }

  var xml = JSON.parse(document.getElementById("designer-xml").textContent);
  var refs = loopRefs(xml);
  modeler.importXML(xml).then(function () {
    var registry = modeler.get("elementRegistry");
    refs.forEach(function (ref) {
      var task = registry.get(ref.task);
      var loop = task && task.businessObject.loopCharacteristics;
      if (!loop) return;
      if (ref.input && !loop.loopDataInputRef) loop.loopDataInputRef = dataRef(ref.input);
      if (ref.output && !loop.loopDataOutputRef) loop.loopDataOutputRef = dataRef(ref.output);
    });
    fit();
    form.classList.add("designer-ready");
    render();
  }).catch(function (error) {
    var box = field("designer-import-error");
    box.textContent = form.dataset.importError + " " + error.message;
    box.hidden = false;
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var action = event.submitter ? event.submitter.value : "save";
    if (action === "publish" && !window.confirm(form.dataset.publishConfirm)) return;
    modeler.saveXML({ format: true }).then(function (result) {
      form.elements.bpmn_xml.value = result.xml;
      form.elements.action.value = action;
      submitting = true;
      form.submit();
    });
  });

  form.querySelector("[data-designer-download]").addEventListener("click", function () {
    modeler.saveXML({ format: true }).then(function (result) {
      var link = document.createElement("a");
      link.href = URL.createObjectURL(new Blob([result.xml], { type: "application/xml" }));
      link.download = (form.elements.key.value || "process") + ".bpmn";
      document.body.appendChild(link);
      link.click();
      link.remove();
      setTimeout(function () { URL.revokeObjectURL(link.href); }, 1000);
    });
  });

  window.addEventListener("beforeunload", function (event) {
    if (dirty && !submitting) event.preventDefault();
  });
})();
