/* The supervisors' desk: the live board refreshes its table in place.
   Every N seconds (data-refresh-seconds) it fetches the board's partial (data-refresh-url: the same
   filters, only the table) and swaps it in; the "refresh" link does the same at once. A hidden tab
   waits until it is shown again. Without this script the page is a plain page with a refresh link.
   No inline scripts (CSP script-src 'self'). */
(function () {
  "use strict";

  function start() {
    var live = document.querySelector("[data-board-live]");
    if (!live || !window.fetch) {
      return;
    }
    var url = live.getAttribute("data-refresh-url");
    var seconds = parseInt(live.getAttribute("data-refresh-seconds"), 10) || 30;
    var announce = document.querySelector("[data-board-announce]");
    var busy = false;
    var stale = false;
    var stopped = false;
    var refreshes = 0;

    function decorate() {
      var note = live.querySelector("[data-auto-note]");
      if (note) {
        note.hidden = false;
      }
    }

    function say(text) {
      if (announce) {
        announce.textContent = text || "";
      }
      var bar = live.querySelector(".board-updated");
      var old = live.querySelector("[data-refresh-problem]");
      if (old) {
        old.parentNode.removeChild(old);
      }
      if (text && bar) {
        var problem = document.createElement("span");
        problem.className = "refresh-problem";
        problem.setAttribute("data-refresh-problem", "");
        problem.textContent = text;
        bar.insertBefore(problem, bar.firstChild);
      }
    }

    function swap(html) {
      var holder = document.createElement("div");
      holder.innerHTML = html;
      var part = holder.querySelector("[data-board-part]");
      if (!part) {
        throw new Error("not the board");
      }
      var hadFocus = live.contains(document.activeElement) &&
        document.activeElement.hasAttribute("data-refresh-now");
      while (live.firstChild) {
        live.removeChild(live.firstChild);
      }
      live.appendChild(part);
      decorate();
      refreshes += 1;
      live.setAttribute("data-refreshes", String(refreshes));
      if (hadFocus) {
        var again = live.querySelector("[data-refresh-now]");
        if (again) {
          again.focus();
        }
      }
    }

    function refresh() {
      if (busy || stopped) {
        return;
      }
      busy = true;
      live.setAttribute("aria-busy", "true");
      fetch(url, {credentials: "same-origin", cache: "no-store", headers: {"Accept": "text/html"}})
        .then(function (response) {
          if (response.redirected || response.status === 401) {
            stopped = true;  // signed out: the partial would be the login page
            throw new Error(live.getAttribute("data-text-signed-out"));
          }
          if (!response.ok) {
            throw new Error(live.getAttribute("data-text-failed"));
          }
          return response.text();
        })
        .then(function (html) {
          swap(html);
          say("");
        })
        .catch(function (error) {
          say(stopped ? error.message : live.getAttribute("data-text-failed"));
        })
        .then(function () {
          busy = false;
          live.removeAttribute("aria-busy");
        });
    }

    decorate();
    window.setInterval(function () {
      if (document.hidden) {
        stale = true;
      } else {
        refresh();
      }
    }, seconds * 1000);
    document.addEventListener("visibilitychange", function () {
      if (!document.hidden && stale) {
        stale = false;
        refresh();
      }
    });
    live.addEventListener("click", function (event) {
      var link = event.target.closest ? event.target.closest("[data-refresh-now]") : null;
      if (link && !stopped) {
        event.preventDefault();
        refresh();
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
