/* Lüyue form editor: line numbers beside the two JSON textareas and a live preview.

   As you type, the two texts are posted (debounced, with the page's CSRF token in the
   X-CSRFToken header) to the preview URL; the answer is an HTML fragment drawn on the server
   by the task page's form macros, with the problems found (JSON syntax errors with line and
   column, what the renderer does not support). A problem with a line number marks that line in
   the gutter; clicking it puts the cursor there. Only the newest answer is shown. Without this
   file the page still works: "refresh preview" posts the whole form. Plain ES2017. */
(function () {
  "use strict";

  var DELAY = 350;

  function lineCount(text) {
    var n = 1;
    for (var i = 0; i < text.length; i++) {
      if (text.charCodeAt(i) === 10) {
        n++;
      }
    }
    return n;
  }

  function CodeEditor(wrap) {
    this.wrap = wrap;
    this.where = wrap.getAttribute("data-code-editor");
    this.textarea = wrap.querySelector("textarea");
    this.gutter = wrap.querySelector(".code-gutter");
    this.shown = 0;
    this.errorLines = [];
    var self = this;
    this.textarea.addEventListener("scroll", function () {
      self.gutter.scrollTop = self.textarea.scrollTop;
    });
    this.textarea.addEventListener("input", function () {
      self.renderGutter();
    });
    this.renderGutter();
  }

  CodeEditor.prototype.renderGutter = function () {
    var n = lineCount(this.textarea.value);
    if (n !== this.shown) {
      var frag = document.createDocumentFragment();
      for (var i = 1; i <= n; i++) {
        var span = document.createElement("span");
        span.textContent = String(i);
        frag.appendChild(span);
      }
      this.gutter.textContent = "";
      this.gutter.appendChild(frag);
      this.shown = n;
    }
    this.markErrors(this.errorLines);
    this.gutter.scrollTop = this.textarea.scrollTop;
  };

  CodeEditor.prototype.markErrors = function (lines) {
    this.errorLines = lines;
    var spans = this.gutter.children;
    for (var i = 0; i < spans.length; i++) {
      spans[i].classList.toggle("is-error", lines.indexOf(i + 1) !== -1);
    }
    this.wrap.classList.toggle("has-error", lines.length > 0);
  };

  CodeEditor.prototype.focusAt = function (line, column) {
    var text = this.textarea.value;
    var pos = 0;
    for (var l = 1; l < line && pos !== -1; l++) {
      pos = text.indexOf("\n", pos);
      if (pos !== -1) {
        pos++;
      }
    }
    if (pos === -1) {
      pos = text.length;
    }
    pos = Math.min(text.length, pos + Math.max(0, (column || 1) - 1));
    this.textarea.focus();
    this.textarea.setSelectionRange(pos, pos);
    var lineHeight = parseFloat(window.getComputedStyle(this.textarea).lineHeight) || 18;
    this.textarea.scrollTop = Math.max(0, (line - 3) * lineHeight);
  };

  function setup(form) {
    var url = form.getAttribute("data-preview-url");
    var token = form.querySelector("input[name=csrf_token]").value;
    var page = form.closest(".editor-grid") || document;
    var preview = page.querySelector("[data-preview]");
    var status = page.querySelector("[data-preview-status]");
    var editors = {};
    Array.prototype.forEach.call(form.querySelectorAll("[data-code-editor]"), function (wrap) {
      var editor = new CodeEditor(wrap);
      editors[editor.where] = editor;
    });
    var button = form.querySelector("[data-preview-button]");
    if (button) {
      button.hidden = true;  // the preview follows the typing
    }

    var timer = null;
    var sequence = 0;
    var inFlight = null;

    function readProblems() {
      var lines = {schema: [], ui: []};
      Array.prototype.forEach.call(preview.querySelectorAll("[data-where][data-line]"), function (li) {
        var where = li.getAttribute("data-where");
        var line = parseInt(li.getAttribute("data-line"), 10);
        if (lines[where] && line > 0) {
          lines[where].push(line);
          li.classList.add("is-link");
          li.tabIndex = 0;
        }
      });
      Object.keys(editors).forEach(function (where) {
        editors[where].markErrors(lines[where] || []);
      });
    }

    function send() {
      timer = null;
      sequence++;
      var mine = sequence;
      if (inFlight) {
        inFlight.abort();
      }
      inFlight = window.AbortController ? new AbortController() : null;
      status.textContent = form.getAttribute("data-msg-updating");
      var body = new URLSearchParams();
      body.append("schema", editors.schema ? editors.schema.textarea.value : "");
      body.append("ui", editors.ui ? editors.ui.textarea.value : "");
      fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: {"X-CSRFToken": token, "Content-Type": "application/x-www-form-urlencoded;charset=UTF-8"},
        body: body.toString(),
        signal: inFlight ? inFlight.signal : undefined
      }).then(function (resp) {
        if (!resp.ok) {
          throw new Error("HTTP " + resp.status);
        }
        return resp.text();
      }).then(function (html) {
        if (mine !== sequence) {
          return;
        }
        preview.innerHTML = html;
        readProblems();
        status.textContent = form.getAttribute("data-msg-updated");
      }).catch(function (err) {
        if (err && err.name === "AbortError") {
          return;
        }
        if (mine === sequence) {
          status.textContent = form.getAttribute("data-msg-failed");
        }
      });
    }

    form.addEventListener("input", function (e) {
      if (!e.target.matches || !e.target.matches("textarea")) {
        return;
      }
      if (timer) {
        clearTimeout(timer);
      }
      timer = setTimeout(send, DELAY);
    });

    function jump(li) {
      var editor = editors[li.getAttribute("data-where")];
      var line = parseInt(li.getAttribute("data-line"), 10);
      if (editor && line > 0) {
        editor.focusAt(line, parseInt(li.getAttribute("data-col"), 10) || 1);
      }
    }
    preview.addEventListener("click", function (e) {
      var li = e.target.closest && e.target.closest("li[data-line]");
      if (li) {
        jump(li);
      }
    });
    preview.addEventListener("keydown", function (e) {
      var li = e.target.closest && e.target.closest("li[data-line]");
      if (li && (e.key === "Enter" || e.key === " ")) {
        e.preventDefault();
        jump(li);
      }
    });
    readProblems();
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-form-editor]"), setup);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
