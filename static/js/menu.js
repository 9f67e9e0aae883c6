/*
 * Dropdown menus (the Actions menu and the user menu): the WAI-ARIA "menu button" pattern.
 * Markup comes from templates/_partials/actions_menu.html: [data-menu] > button + ul[role=menu].
 * Keys: Enter / Space / ArrowDown open on the first item, ArrowUp opens on the last;
 * ArrowUp / ArrowDown / Home / End move; Esc closes and returns focus to the button; Tab closes.
 * Disabled items (aria-disabled) can be focused, so their reason is read, but do nothing.
 * Forms with data-confirm ask before they are posted.
 */
(function () {
  "use strict";
  var counter = 0;

  function items(menu) {
    return Array.prototype.slice.call(menu.querySelectorAll('[role="menuitem"]'));
  }

  function setup(root) {
    var button = root.querySelector(".menu-button");
    var menu = root.querySelector('[role="menu"]');
    if (!button || !menu) return;
    counter += 1;
    button.id = button.id || "menu-button-" + counter;
    menu.id = menu.id || "menu-list-" + counter;
    button.setAttribute("aria-controls", menu.id);
    menu.setAttribute("aria-labelledby", button.id);
    menu.removeAttribute("aria-label");

    function isOpen() { return !menu.hidden; }
    function focusItem(index) {
      var list = items(menu);
      if (!list.length) return;
      var i = (index + list.length) % list.length;
      list[i].focus();
    }
    function open(focusIndex) {
      document.querySelectorAll("[data-menu]").forEach(function (other) {
        if (other !== root && other._closeMenu) other._closeMenu(false);
      });
      menu.hidden = false;
      button.setAttribute("aria-expanded", "true");
      root.classList.add("is-open");
      focusItem(focusIndex);
    }
    function close(returnFocus) {
      if (!isOpen()) return;
      menu.hidden = true;
      button.setAttribute("aria-expanded", "false");
      root.classList.remove("is-open");
      if (returnFocus) button.focus();
    }
    root._closeMenu = close;

    button.addEventListener("click", function () {
      if (isOpen()) close(true); else open(0);
    });
    button.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown") { e.preventDefault(); open(0); }
      else if (e.key === "ArrowUp") { e.preventDefault(); open(-1); }
    });
    menu.addEventListener("keydown", function (e) {
      var list = items(menu);
      var i = list.indexOf(document.activeElement);
      switch (e.key) {
        case "ArrowDown": e.preventDefault(); focusItem(i + 1); break;
        case "ArrowUp": e.preventDefault(); focusItem(i - 1); break;
        case "Home": e.preventDefault(); focusItem(0); break;
        case "End": e.preventDefault(); focusItem(-1); break;
        case "Escape": e.preventDefault(); close(true); break;
        case "Tab": close(false); break;
        case " ":
          // Space activates the focused item, as Enter does (links ignore Space natively).
          if (document.activeElement && document.activeElement.tagName === "A") {
            e.preventDefault(); document.activeElement.click();
          }
          break;
        default:
          // Type-ahead: jump to the next item starting with the typed letter.
          if (e.key.length === 1 && /\S/.test(e.key)) {
            var key = e.key.toLowerCase();
            for (var step = 1; step <= list.length; step++) {
              var candidate = list[(i + step) % list.length];
              if (candidate.textContent.trim().toLowerCase().indexOf(key) === 0) { candidate.focus(); break; }
            }
          }
      }
    });
    menu.addEventListener("click", function (e) {
      var item = e.target.closest('[role="menuitem"]');
      if (item && item.getAttribute("aria-disabled") === "true") { e.preventDefault(); }
    });
    document.addEventListener("click", function (e) {
      if (!root.contains(e.target)) close(false);
    });
  }

  document.addEventListener("submit", function (e) {
    var form = e.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) e.preventDefault();
  });

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-menu]").forEach(setup);
  });
})();
