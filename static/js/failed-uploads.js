/* Failed Uploads: "select every package on this page", and a question before retrying all of
 * them (posting the form works without it). */
(function () {
  "use strict";
  document.addEventListener("change", function (e) {
    if (!e.target.matches("[data-check-page]")) return;
    document.querySelectorAll('input[name="package_ids"]').forEach(function (box) { box.checked = e.target.checked; });
  });
  document.addEventListener("click", function (e) {
    var question = e.target.getAttribute && e.target.getAttribute("data-confirm-all");
    if (question && !window.confirm(question)) e.preventDefault();
  });
})();
