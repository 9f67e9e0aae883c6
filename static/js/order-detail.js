/* Order Details action forms: small conveniences, the server decides everything.
 * Ship Order: fill Tracking URL from the carrier's template ({tracking_number}) while the user
 *   types, unless they typed a URL of their own (the server fills it too when left empty).
 * Issue Refund: when the Operation Type changes, Amount To Refund becomes what is still
 *   refundable on it. */
(function () {
  "use strict";
  function data(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  var templates = data("tracking-url-templates");
  var carrier = document.getElementById("id_carrier");
  var number = document.getElementById("id_tracking_number");
  var url = document.getElementById("id_tracking_url");
  if (templates && carrier && number && url) {
    var filled = url.value;  // what we put there last: replaced freely, a user's own URL is kept
    var update = function () {
      if (url.value && url.value !== filled) return;
      var template = templates[carrier.value.trim()];
      var tracking = number.value.trim();
      filled = template && tracking ? template.split("{tracking_number}").join(encodeURIComponent(tracking)) : "";
      url.value = filled;
    };
    carrier.addEventListener("input", update);
    number.addEventListener("input", update);
  }

  var refundable = data("refundable-amounts");
  var payment = document.getElementById("id_payment");
  var amount = document.getElementById("id_amount");
  if (refundable && payment && amount) {
    payment.addEventListener("change", function () {
      if (refundable[payment.value] !== undefined) amount.value = refundable[payment.value];
    });
  }
})();
