/* Migration plan: "select all", the live count on the migrate button, and one submit only.
   Everything here is an enhancement — without it the ticked boxes are posted as they are and the
   server checks the batch size. No inline scripts (CSP script-src 'self'). */
(function () {
  "use strict";

  function start() {
    var form = document.querySelector("form.mig-batch");
    if (!form) {
      return;
    }
    var max = parseInt(form.getAttribute("data-max"), 10) || 200;
    var boxes = form.querySelectorAll("input[name=instance_id]");
    var all = form.querySelector("[data-select-all]");
    var count = form.querySelector("[data-selected-count]");
    var submit = form.querySelector("[data-submit]");
    var overMax = form.querySelector("[data-over-max]");

    function ticked() {
      var n = 0;
      for (var i = 0; i < boxes.length; i += 1) {
        if (boxes[i].checked) {
          n += 1;
        }
      }
      return n;
    }

    function refresh() {
      var n = ticked();
      if (count) {
        count.textContent = String(n);
      }
      if (all) {
        all.checked = n > 0 && n === boxes.length;
        all.indeterminate = n > 0 && n < boxes.length;
      }
      if (submit) {
        submit.disabled = n === 0 || n > max;
      }
      if (overMax) {
        overMax.hidden = n <= max;
      }
    }

    if (all) {
      all.addEventListener("change", function () {
        for (var i = 0; i < boxes.length; i += 1) {
          boxes[i].checked = all.checked && i < max;
        }
        refresh();
      });
    }
    Array.prototype.forEach.call(boxes, function (box) {
      box.addEventListener("change", refresh);
    });
    form.addEventListener("submit", function (event) {
      if (form.getAttribute("data-sent") === "1") {
        event.preventDefault();
        return;
      }
      form.setAttribute("data-sent", "1");
      if (submit) {
        submit.setAttribute("aria-busy", "true");
      }
    });
    refresh();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
