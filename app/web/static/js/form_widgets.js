/* Lüyue form widgets: progressive enhancement of the JSON-Schema forms drawn by
   templates/macros/form.html. Plain ES2017, no framework; the form works without this file.

   - as-you-type checks shown beside the field (required, length, number range, pattern,
     USCC per GB 32100, resident ID per GB 11643, mobile/landline, money, e-mail); they never
     block the submit — the server always validates;
   - character counters for long texts, a read-back of typed amounts (with the Chinese
     capital amount, 大写, on Chinese pages);
   - org picker: a search box filtering the <select> by name or code;
   - repeating rows: add from the <template>, remove;
   - file inputs: the chosen files with their sizes, warnings over data-max-bytes or for
     types outside `accept`;
   - the error summary takes the focus on load; its links focus their field.
   The messages come translated from data-msg-* attributes of the [data-form-widgets] root. */
(function () {
  "use strict";
  if (window.lvyueFormWidgets) {
    return;
  }
  window.lvyueFormWidgets = true;

  // -- identifier rules (mirror app/identifiers.py) --------------------------------------------

  var USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY";
  var USCC_AUTHORITIES = "123456789ANY";
  var ID_CHECK = "10X98765432";
  var ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];  // 2^(17-i) mod 11
  var MONEY_MAX = 1e13;

  function nfkc(s) {
    return (s || "").normalize ? (s || "").normalize("NFKC") : (s || "");
  }

  function normalizeCode(s) {
    return nfkc(s).replace(/[\s\-\u2010-\u2015\uff0d]+/g, "").toUpperCase();
  }

  function usccProblem(s) {
    if (s.length !== 18) {
      return "length";
    }
    for (var i = 0; i < 18; i++) {
      if (USCC_CHARSET.indexOf(s.charAt(i)) < 0) {
        return "charset";
      }
    }
    if (USCC_AUTHORITIES.indexOf(s.charAt(0)) < 0) {
      return "authority";
    }
    if ("123456789".indexOf(s.charAt(1)) < 0) {
      return "category";
    }
    if (!/^\d{6}$/.test(s.slice(2, 8))) {
      return "region";
    }
    var total = 0;
    var weight = 1;
    for (var k = 0; k < 17; k++) {
      total += USCC_CHARSET.indexOf(s.charAt(k)) * weight;
      weight = (weight * 3) % 31;
    }
    var check = USCC_CHARSET.charAt((31 - (total % 31)) % 31);
    return check === s.charAt(17) ? null : "check";
  }

  function residentIdProblem(s) {
    if (s.length !== 18) {
      return "length";
    }
    if (!/^\d{17}[\dX]$/.test(s)) {
      return "charset";
    }
    var y = +s.slice(6, 10);
    var m = +s.slice(10, 12);
    var d = +s.slice(12, 14);
    var born = new Date(Date.UTC(y, m - 1, d));
    if (born.getUTCFullYear() !== y || born.getUTCMonth() !== m - 1 || born.getUTCDate() !== d ||
        y < 1900 || born.getTime() > Date.now()) {
      return "birth_date";
    }
    var total = 0;
    for (var k = 0; k < 17; k++) {
      total += (+s.charAt(k)) * ID_WEIGHTS[k];
    }
    return ID_CHECK.charAt(total % 11) === s.charAt(17) ? null : "check";
  }

  function normalizeMobile(s) {
    s = nfkc(s).replace(/[\s\-\u2010-\u2015.()]+/g, "");
    if (s.indexOf("+86") === 0) {
      return s.slice(3);
    }
    if (s.indexOf("0086") === 0) {
      return s.slice(4);
    }
    if (s.indexOf("86") === 0 && s.length === 13) {
      return s.slice(2);
    }
    return s;
  }

  function mobileValid(s) {
    return /^1[3-9]\d{9}$/.test(s);
  }

  function landlineValid(s) {
    return /^0\d{2,3}-?\d{7,8}$/.test(s);
  }

  /* What the server keeps of a typed amount (app.identifiers.normalize_money). */
  function normalizeMoney(s) {
    s = nfkc(s).replace(/[\s,¥￥]+/g, "");
    if (s.slice(-1) === "元") {
      s = s.slice(0, -1);
    }
    var m = /^(\d+)(?:\.(\d{0,2}))?$/.exec(s);
    if (m) {
      var whole = m[1].replace(/^0+(?=\d)/, "");
      var frac = ((m[2] || "") + "00").slice(0, 2);
      return whole + "." + frac;
    }
    return s;
  }

  function moneyValid(s) {
    return /^\d{1,14}(\.\d{1,2})?$/.test(s) && Number(s) <= MONEY_MAX;
  }

  function groupThousands(amount) {
    var parts = amount.split(".");
    return parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, ",") + (parts.length > 1 ? "." + parts[1] : "");
  }

  /* 1234.50 -> 壹仟贰佰叁拾肆元伍角整 (the capital amount written on contracts and receipts). */
  function capitalAmount(amount) {
    var digits = "零壹贰叁肆伍陆柒捌玖";
    var units = ["", "拾", "佰", "仟"];
    var groupUnits = ["", "万", "亿", "万亿"];
    var parts = amount.split(".");
    var whole = parts[0].replace(/^0+/, "");
    var frac = ((parts[1] || "") + "00").slice(0, 2);
    var out = "";
    if (whole) {
      var groups = [];
      while (whole.length) {
        groups.unshift(whole.slice(-4));
        whole = whole.slice(0, -4);
      }
      var zero = false;
      groups.forEach(function (group, gi) {
        group = ("0000" + group).slice(-4);
        var text = "";
        for (var i = 0; i < 4; i++) {
          var d = +group.charAt(i);
          if (d === 0) {
            zero = zero || (out + text).length > 0;
          } else {
            text += (zero ? "零" : "") + digits.charAt(d) + units[3 - i];
            zero = false;
          }
        }
        if (text) {
          out += text + groupUnits[groups.length - 1 - gi];
        }
      });
      out += "元";
    }
    var jiao = +frac.charAt(0);
    var fen = +frac.charAt(1);
    if (!jiao && !fen) {
      return (out || "零元") + "整";
    }
    if (jiao) {
      out += digits.charAt(jiao) + "角";
    } else if (out) {
      out += "零";
    }
    if (fen) {
      out += digits.charAt(fen) + "分";
    } else {
      out += "整";
    }
    return out;
  }

  // -- helpers ------------------------------------------------------------------------------------

  function fill(template, params) {
    return (template || "").replace(/\{(\w+)\}/g, function (all, key) {
      return Object.prototype.hasOwnProperty.call(params, key) ? String(params[key]) : all;
    });
  }

  function codePoints(s) {
    return Array.from(s).length;
  }

  function fieldOf(el) {
    return el.closest ? el.closest(".field") : null;
  }

  function byId(id) {
    return id ? document.getElementById(id) : null;
  }

  function sizeText(bytes) {
    if (bytes >= 1000000) {
      return (bytes / 1000000).toFixed(1).replace(/\.0$/, "") + "\u00a0MB";  // no break inside a size
    }
    if (bytes >= 1000) {
      return Math.round(bytes / 1000) + "\u00a0KB";
    }
    return bytes + "\u00a0B";
  }

  // -- as-you-type checks -------------------------------------------------------------------------

  /* [message, ok]: the problem with the element's value ("" when none), and an optional
     confirmation worth showing (a USCC that passed its check character). */
  function problemOf(el, msg, leaving) {
    var raw = el.value || "";
    var isText = el.tagName === "TEXTAREA";
    var value = isText ? raw : raw.trim();
    var ds = el.dataset;
    if (value === "") {
      return [(ds.required && leaving) ? msg.msgRequired : "", ""];
    }
    var fmt = ds.format;
    if (fmt === "uscc") {
      var code = normalizeCode(value);
      var reason = usccProblem(code);
      if (reason === "length") {
        return [fill(msg.msgUsccLength, {count: codePoints(code)}), ""];
      }
      if (reason) {
        return [msg["msgUscc" + reason.charAt(0).toUpperCase() + reason.slice(1)], ""];
      }
      return ["", msg.msgUsccOk];
    }
    if (fmt === "cn-id") {
      var idReason = residentIdProblem(normalizeCode(value));
      var idKey = {length: "msgCnIdLength", charset: "msgCnIdCharset", birth_date: "msgCnIdBirthDate",
                   check: "msgCnIdCheck"}[idReason];
      return [idKey ? msg[idKey] : "", ""];
    }
    if (fmt === "cn-mobile" && !mobileValid(normalizeMobile(value))) {
      return [msg.msgCnMobile, ""];
    }
    if (fmt === "cn-phone") {
      var mobile = normalizeMobile(value);
      var landline = nfkc(value).replace(/\s+/g, "");
      if (!mobileValid(mobile) && !landlineValid(landline)) {
        return [msg.msgCnPhone, ""];
      }
    }
    if (fmt === "email" && !(value.length <= 254 && /^[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+$/.test(value))) {
      return [msg.msgEmail, ""];
    }
    var checked = value;
    if (fmt === "money") {
      checked = normalizeMoney(value);
      if (!moneyValid(checked)) {
        return [msg.msgMoney, ""];
      }
    }
    if (ds.type) {
      var cleaned = nfkc(value).replace(/,/g, "");
      var isInt = /^[+-]?\d{1,18}$/.test(cleaned);
      var isNum = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(cleaned);
      if (ds.type === "integer" && !isInt) {
        return [msg.msgInteger, ""];
      }
      if (!isNum) {
        return [msg.msgNumber, ""];
      }
      var n = Number(cleaned);
      if (ds.min !== undefined && n < Number(ds.min)) {
        return [fill(msg.msgMinimum, {limit: ds.min}), ""];
      }
      if (ds.max !== undefined && n > Number(ds.max)) {
        return [fill(msg.msgMaximum, {limit: ds.max}), ""];
      }
    }
    var length = codePoints(value);
    if (ds.minlength && length < +ds.minlength) {
      return [fill(msg.msgMinLength, {limit: ds.minlength}), ""];
    }
    if (ds.maxlength && length > +ds.maxlength) {
      return [fill(msg.msgMaxLength, {limit: ds.maxlength}), ""];
    }
    if (ds.pattern) {
      var re = null;
      try {
        re = new RegExp(ds.pattern, "u");
      } catch (e) {
        re = null;  // a pattern JavaScript cannot read: leave it to the server
      }
      if (re && !re.test(checked)) {
        return [msg.msgPattern, ""];
      }
    }
    return ["", ""];
  }

  function show(el, msg, leaving) {
    var field = fieldOf(el);
    if (!field) {
      return;
    }
    var out = field.querySelector(".field-check");
    if (!out) {
      return;
    }
    var result = problemOf(el, msg, leaving);
    var problem = result[0];
    var ok = result[1];
    out.textContent = problem || ok;
    out.hidden = !(problem || ok);
    out.classList.toggle("is-error", !!problem);
    out.classList.toggle("is-ok", !problem && !!ok);
    field.classList.toggle("has-check-error", !!problem);
    var serverError = field.querySelector(".field-error");
    var stillServerError = serverError && !serverError.hidden;
    if (problem) {
      el.setAttribute("aria-invalid", "true");
    } else if (!stillServerError) {
      el.removeAttribute("aria-invalid");
    }
  }

  function checkGroup(el, msg) {
    var field = fieldOf(el);
    var out = field && field.querySelector(".field-check");
    if (!out) {
      return;
    }
    var required = field.querySelector("[data-required]");
    var anyTicked = !!field.querySelector("input[type=radio]:checked, input[type=checkbox]:checked");
    var problem = required && !anyTicked ? msg.msgRequired : "";
    out.textContent = problem;
    out.hidden = !problem;
    out.classList.toggle("is-error", !!problem);
    field.classList.toggle("has-check-error", !!problem);
  }

  /* The server's message stays until the user changes the field; then the live check speaks. */
  function retireServerError(el) {
    var field = fieldOf(el);
    var serverError = field && field.querySelector(".field-error");
    if (serverError && !serverError.hidden) {
      serverError.hidden = true;
      field.classList.remove("has-error");
      field.classList.add("was-error");
      Array.prototype.forEach.call(field.querySelectorAll("[aria-invalid]"), function (input) {
        input.removeAttribute("aria-invalid");
      });
    }
  }

  function updateCounter(el, msg) {
    var counter = document.querySelector('[data-counter-for="' + cssEscape(el.id) + '"]');
    if (!counter || !el.dataset.maxlength) {
      return;
    }
    var count = codePoints(el.value || "");
    var limit = +el.dataset.maxlength;
    counter.hidden = false;
    counter.textContent = fill(msg.msgCounter, {count: count, limit: limit});
    counter.classList.toggle("is-over", count > limit);
  }

  function updateReadback(el, msg) {
    var out = document.querySelector('[data-readback-for="' + cssEscape(el.id) + '"]');
    if (!out) {
      return;
    }
    var amount = normalizeMoney(el.value || "");
    if (!el.value.trim() || !moneyValid(amount)) {
      out.hidden = true;
      out.textContent = "";
      return;
    }
    var text = fill(msg.msgMoneyReadback, {amount: groupThousands(amount)});
    if ((document.documentElement.lang || "zh").indexOf("zh") === 0) {
      text += "　" + fill(msg.msgMoneyCapital, {capital: capitalAmount(amount)});
    }
    out.textContent = text;
    out.hidden = false;
  }

  function cssEscape(s) {
    return window.CSS && CSS.escape ? CSS.escape(s) : String(s).replace(/["\\]/g, "\\$&");
  }

  // -- files --------------------------------------------------------------------------------------

  function showFiles(input, msg) {
    var list = document.querySelector('[data-file-list-for="' + cssEscape(input.id) + '"]');
    if (!list) {
      return;
    }
    while (list.firstChild) {
      list.removeChild(list.firstChild);
    }
    var maxBytes = +(input.dataset.maxBytes || 0);
    var maxFiles = +(input.dataset.maxFiles || 0);
    var accept = (input.getAttribute("accept") || "").toLowerCase().split(",")
      .map(function (s) { return s.trim(); }).filter(Boolean);
    var files = Array.prototype.slice.call(input.files || []);
    var problem = false;
    files.forEach(function (f) {
      var li = document.createElement("li");
      var name = document.createElement("span");
      name.className = "file-name";
      name.textContent = f.name;
      var size = document.createElement("span");
      size.className = "file-size";
      size.textContent = sizeText(f.size);
      li.appendChild(name);
      li.appendChild(size);
      var dot = f.name.lastIndexOf(".");
      var ext = dot >= 0 ? f.name.slice(dot).toLowerCase() : "";
      var warnings = [];
      if (maxBytes && f.size > maxBytes) {
        warnings.push(fill(msg.msgFileTooBig, {limit: sizeText(maxBytes)}));
      }
      if (accept.length && accept.indexOf(ext) < 0) {
        warnings.push(msg.msgFileType);
      }
      if (warnings.length) {
        problem = true;
        li.className = "is-error";
        var warn = document.createElement("span");
        warn.className = "file-warning";
        warn.textContent = warnings.join("；");
        li.appendChild(warn);
      }
      list.appendChild(li);
    });
    if (maxFiles && files.length > maxFiles) {
      problem = true;
      var over = document.createElement("li");
      over.className = "is-error";
      over.textContent = fill(msg.msgFileCount, {limit: maxFiles});
      list.appendChild(over);
    }
    list.hidden = files.length === 0;
    var field = fieldOf(input);
    if (field) {
      field.classList.toggle("has-check-error", problem);
    }
  }

  // -- org picker ---------------------------------------------------------------------------------

  function initOrgPicker(picker, msg) {
    var search = picker.querySelector("[data-org-search-for]");
    var select = picker.querySelector("select");
    var count = picker.querySelector("[data-org-count-for]");
    if (!search || !select || select.disabled) {
      return;
    }
    search.hidden = false;
    var options = Array.prototype.slice.call(select.querySelectorAll("option[data-search]"));
    search.addEventListener("input", function () {
      var q = search.value.trim().toLowerCase();
      var matches = 0;
      options.forEach(function (opt) {
        var hit = !q || opt.dataset.search.toLowerCase().indexOf(q) >= 0;
        matches += hit ? 1 : 0;
        opt.hidden = !hit && !opt.selected;  // the chosen org stays visible
      });
      var groups = 0;
      Array.prototype.forEach.call(select.querySelectorAll("optgroup"), function (group) {
        group.hidden = !group.querySelector("option:not([hidden])");
        groups += group.hidden ? 0 : 1;
      });
      if (!select.multiple) {
        if (q) {  // show the matches as an open list (the placeholder, the regions, the orgs)
          select.size = Math.max(2, Math.min(10, matches + groups + 1));
        } else {
          select.removeAttribute("size");
        }
      }
      if (count) {
        count.hidden = !q;
        count.textContent = matches ? fill(msg.msgOrgCount, {count: matches}) : msg.msgOrgNone;
      }
    });
    search.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown" || e.key === "Enter") {
        e.preventDefault();  // Enter would submit the whole form
        var first = options.filter(function (o) { return !o.hidden; })[0];
        if (first && !select.multiple && e.key === "Enter") {
          select.value = first.value;
          select.dispatchEvent(new Event("change", {bubbles: true}));
        }
        select.focus();
      }
    });
  }

  // -- rows ---------------------------------------------------------------------------------------

  function renumberRows(container, msg) {
    var items = container.querySelectorAll("[data-rows-list] > [data-row]");
    Array.prototype.forEach.call(items, function (item, i) {
      var title = item.querySelector(".rows-item-title");
      if (title && msg.msgRowTitle) {
        title.textContent = fill(msg.msgRowTitle, {n: i + 1});
      }
      var remove = item.querySelector("[data-row-remove]");
      if (remove) {
        remove.hidden = false;
        remove.setAttribute("aria-label", fill(msg.msgRowRemove, {n: i + 1}));
      }
    });
    var max = +(container.dataset.maxRows || 0);
    var add = container.querySelector("[data-row-add]");
    if (add) {
      add.disabled = !!max && items.length >= max;
    }
    var empty = container.querySelector(".rows-empty");
    if (empty) {
      empty.hidden = items.length > 0;
    }
  }

  function initRows(container, msg) {
    var template = container.querySelector("template[data-row-template]");
    var list = container.querySelector("[data-rows-list]");
    var add = container.querySelector("[data-row-add]");
    if (!template || !list || !add) {
      return;
    }
    add.hidden = false;
    var hint = container.querySelector("[data-rows-nojs]");
    if (hint) {
      hint.hidden = true;
    }
    add.addEventListener("click", function () {
      var index = +(container.dataset.nextIndex || 0);
      container.dataset.nextIndex = String(index + 1);
      var holder = document.createElement("template");
      holder.innerHTML = template.innerHTML.replace(/__INDEX__/g, String(index))
        .replace(/__NUMBER__/g, String(list.children.length + 1));
      var row = holder.content.firstElementChild;
      list.appendChild(row);
      renumberRows(container, msg);
      var first = row.querySelector("input:not([type=hidden]), select, textarea");
      if (first) {
        first.focus();
      }
    });
    container.addEventListener("click", function (e) {
      var button = e.target.closest && e.target.closest("[data-row-remove]");
      if (!button || !container.contains(button)) {
        return;
      }
      var row = button.closest("[data-row]");
      if (row && row.parentNode === list) {
        list.removeChild(row);
        renumberRows(container, msg);
        add.focus();
      }
    });
    renumberRows(container, msg);
  }

  // -- wiring -------------------------------------------------------------------------------------

  function isChoice(el) {
    return el.type === "radio" || el.type === "checkbox";
  }

  function isCheckable(el) {
    return (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT") &&
      el.type !== "hidden" && el.type !== "file" && el.type !== "search" && !el.disabled;
  }

  function init(root) {
    // a page with two forms loads this script twice; each form is set up once
    if (root.dataset.widgetsReady === "true") {
      return;
    }
    root.dataset.widgetsReady = "true";
    var msg = root.dataset;
    var form = root.closest("form");
    if (form) {
      form.noValidate = true;  // the checks here only advise; the server decides
    }
    var touched = new WeakSet();

    /* Pressing the submit button takes the focus from the field first; a message appearing
       then would push the button away before the click lands. So leaving a field towards a
       submit button shows nothing: the server answers instead. */
    var submitting = false;
    root.ownerDocument.addEventListener("pointerdown", function (e) {
      submitting = !!(e.target.closest && e.target.closest("button[type=submit], input[type=submit], button:not([type])"));
    }, true);
    root.ownerDocument.addEventListener("pointerup", function () {
      setTimeout(function () { submitting = false; }, 0);
    }, true);

    root.addEventListener("input", function (e) {
      var el = e.target;
      if (!isCheckable(el)) {
        return;
      }
      if (!isChoice(el)) {
        retireServerError(el);
        if (touched.has(el)) {
          show(el, msg, false);
        }
        updateCounter(el, msg);
        if (el.dataset.money) {
          updateReadback(el, msg);
        }
      }
    });
    root.addEventListener("change", function (e) {
      var el = e.target;
      if (el.type === "file") {
        retireServerError(el);
        showFiles(el, msg);
        return;
      }
      if (!isCheckable(el)) {
        return;
      }
      retireServerError(el);
      if (isChoice(el) && fieldOf(el) && fieldOf(el).querySelector("[data-choice-group]")) {
        checkGroup(el, msg);
      } else {
        touched.add(el);
        if (!submitting) {  // a text's change fires as it loses the focus (see below)
          show(el, msg, true);
        }
      }
    });
    root.addEventListener("focusout", function (e) {
      var el = e.target;
      if (!isCheckable(el) || isChoice(el)) {
        return;
      }
      touched.add(el);
      if (submitting) {
        return;
      }
      show(el, msg, true);
    });

    Array.prototype.forEach.call(root.querySelectorAll("textarea[data-maxlength]"), function (el) {
      updateCounter(el, msg);
    });
    Array.prototype.forEach.call(root.querySelectorAll("input[data-money]"), function (el) {
      updateReadback(el, msg);
    });
    Array.prototype.forEach.call(root.querySelectorAll("[data-org-picker]"), function (picker) {
      initOrgPicker(picker, msg);
    });
    Array.prototype.forEach.call(root.querySelectorAll("[data-rows]"), function (container) {
      initRows(container, msg);
    });

    var summary = root.querySelector("[data-error-summary]");
    if (summary) {
      summary.addEventListener("click", function (e) {
        var link = e.target.closest && e.target.closest("a[href^='#']");
        if (!link) {
          return;
        }
        var target = byId(decodeURIComponent(link.getAttribute("href").slice(1)));
        if (!target) {
          return;
        }
        e.preventDefault();
        var field = target.closest(".field, fieldset") || target;
        field.scrollIntoView({block: "center"});
        var focusable = target.matches("fieldset") ? target.querySelector("input, select, textarea") : target;
        (focusable || target).focus({preventScroll: true});
      });
      summary.focus();
    }
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-form-widgets]"), init);
  }

  // exposed for the browser tests of the rules above
  window.lvyueFormRules = {
    usccProblem: usccProblem,
    residentIdProblem: residentIdProblem,
    normalizeCode: normalizeCode,
    normalizeMobile: normalizeMobile,
    normalizeMoney: normalizeMoney,
    moneyValid: moneyValid,
    capitalAmount: capitalAmount
  };

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
