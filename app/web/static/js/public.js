/* Public pages: the receipt's print button, and the kept-file lists moved into their file fields.
   No inline scripts (CSP script-src 'self'); everything here is an enhancement — without it the
   receipt prints from the browser menu and the kept files stay listed below the form. */
(function () {
  "use strict";

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-print]"), function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        window.print();
      });
    });
    Array.prototype.forEach.call(document.querySelectorAll("[data-kept-for]"), function (box) {
      var form = box.closest("form");
      var name = box.getAttribute("data-kept-for");
      var fields = form ? form.querySelectorAll(".field[data-field]") : [];
      for (var i = 0; i < fields.length; i += 1) {
        if (fields[i].getAttribute("data-field") === name) {
          var body = fields[i].querySelector(".field-body") || fields[i];
          var input = body.querySelector("input[type=file]");
          body.insertBefore(box, input || body.firstChild);
          return;
        }
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
