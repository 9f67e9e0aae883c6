/*
 * Manage Orders: the Saved Views and Actions dropdowns (disclosure pattern, Esc closes), the
 * searchable Actions list, "select every order on this page", the selection count, the rows-per-page
 * select, and the polling of a background bulk job's progress. Everything works without it
 * except the dropdowns' opening, which the page needs JavaScript for, as the shell's menus do.
 */
(function () {
  "use strict";

  function setupDropdown(root) {
    var button = root.querySelector("button[aria-controls]");
    var panel = document.getElementById(button.getAttribute("aria-controls"));
    function close(returnFocus) {
      if (panel.hidden) return;
      panel.hidden = true;
      button.setAttribute("aria-expanded", "false");
      if (returnFocus) button.focus();
    }
    function open() {
      document.querySelectorAll("[data-mo-dropdown]").forEach(function (other) {
        if (other !== root && other._moClose) other._moClose(false);
      });
      panel.hidden = false;
      button.setAttribute("aria-expanded", "true");
      var first = panel.querySelector("input[type=search], input[type=text], a, button");
      if (first) first.focus();
    }
    root._moClose = close;
    button.addEventListener("click", function () { if (panel.hidden) open(); else close(true); });
    root.addEventListener("keydown", function (e) {
      if (e.key === "Escape") { e.preventDefault(); close(true); }
    });
    document.addEventListener("click", function (e) { if (!root.contains(e.target)) close(false); });
  }

  function setupActionSearch(input) {
    var list = input.parentNode.querySelector(".mo-action-list");
    var none = list.querySelector("[data-mo-action-none]");
    input.addEventListener("input", function () {
      var needle = input.value.trim().toLowerCase();
      var shown = 0;
      list.querySelectorAll("[data-mo-action]").forEach(function (item) {
        var match = item.getAttribute("data-mo-action").indexOf(needle) !== -1;
        item.hidden = !match;
        if (match) shown += 1;
      });
      none.hidden = shown !== 0;
    });
    input.addEventListener("keydown", function (e) {
      // Enter runs the first visible action, as Sellercloud's "Go" does; ArrowDown moves into the list.
      var first = list.querySelector("[data-mo-action]:not([hidden]) .mo-action:not(.is-disabled)");
      if (e.key === "Enter" && first) { e.preventDefault(); first.click(); }
      if (e.key === "ArrowDown" && first) { e.preventDefault(); first.focus(); }
    });
  }

  function setupSelection() {
    var pageBox = document.querySelector("[data-mo-check-page]");
    var boxes = Array.prototype.slice.call(document.querySelectorAll("[data-mo-check]"));
    var allBox = document.querySelector("[data-mo-all]");
    var counter = document.querySelector("[data-mo-selected-count]");
    function update() {
      var n = boxes.filter(function (b) { return b.checked; }).length;
      if (pageBox) {
        pageBox.checked = n > 0 && n === boxes.length;
        pageBox.indeterminate = n > 0 && n < boxes.length;
      }
      if (counter) {
        counter.textContent = allBox && allBox.checked ? "All orders matching the filters"
          : (n ? n + " selected" : "");
      }
    }
    if (pageBox) {
      pageBox.addEventListener("change", function () {
        boxes.forEach(function (b) { b.checked = pageBox.checked; });
        update();
      });
    }
    boxes.forEach(function (b) { b.addEventListener("change", update); });
    if (allBox) allBox.addEventListener("change", update);
    update();
  }

  function setupJob(panel) {
    var url = panel.getAttribute("data-mo-job");
    var bar = panel.querySelector("[data-mo-job-bar]");
    var text = panel.querySelector("[data-mo-job-text]");
    var state = panel.querySelector("[data-mo-job-state]");
    var failures = panel.querySelector("[data-mo-job-failures]");
    function poll() {
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (s) {
          bar.max = s.total; bar.value = s.done; bar.textContent = s.percent + "%";
          text.textContent = s.summary || (s.done + " of " + s.total + " orders done: " + s.changed + " changed, " +
            s.unchanged + " already so, " + s.failed + " refused.");
          var download = panel.querySelector("[data-mo-job-download]");
          if (download && s.finished && s.download_url) {
            download.href = s.download_url;
            download.hidden = false;
          }
          failures.textContent = "";
          s.failures.forEach(function (f) {
            var li = document.createElement("li");
            li.textContent = "Order " + f[0] + ": " + f[1];  // textContent: reasons are shown as text
            failures.appendChild(li);
          });
          state.textContent = s.finished ? "Finished" : "Running in the background";
          if (!s.finished) window.setTimeout(poll, 1000);
        })
        .catch(function () { window.setTimeout(poll, 3000); });
    }
    if (state.textContent.trim() !== "Finished") window.setTimeout(poll, 500);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-mo-dropdown]").forEach(setupDropdown);
    document.querySelectorAll("[data-mo-action-search]").forEach(setupActionSearch);
    document.querySelectorAll("[data-mo-autosubmit]").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });
    document.querySelectorAll("[data-mo-job]").forEach(setupJob);
    // Empty filters stay out of the URL, so a bookmark or a Saved View reads as what it filters.
    document.querySelectorAll("[data-mo-filters]").forEach(function (form) {
      form.addEventListener("submit", function () {
        form.querySelectorAll("input, select").forEach(function (field) {
          if (field.name && !field.multiple && field.type !== "checkbox" && field.value === "") field.disabled = true;
        });
      });
    });
    setupSelection();
  });
})();
