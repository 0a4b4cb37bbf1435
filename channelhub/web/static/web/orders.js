// ChannelHub order form (下单): quantity steppers that honour pack size and minimum, Enter in a
// quantity re-quotes instead of placing the order, and where the order was placed from.
(function () {
  "use strict";

  function orderForm() {
    return document.querySelector("[data-order-form]");
  }

  function requote(input) {
    input.dispatchEvent(new Event("input", { bubbles: true }));
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-stepper]");
    if (!button) return;
    var input = button.parentElement.querySelector(".qty-input");
    if (!input) return;
    var pack = parseInt(input.dataset.pack, 10) || 1;
    var min = parseInt(input.dataset.min, 10) || 1;
    var value = parseInt(input.value, 10) || 0;
    var next = button.dataset.stepper === "1" ? (value < min ? min : value + pack) : value - pack;
    if (next < min) next = min;
    if (next !== value) {
      input.value = String(next);
      requote(input);
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && event.target.matches && event.target.matches(".qty-input")) {
      event.preventDefault();
      requote(event.target);
    }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches("[data-order-form]")) return;
    if (form.dataset.sent) {
      event.preventDefault(); // a second tap: the first one is on its way (the key makes it harmless anyway)
      return;
    }
    form.dataset.sent = "1";
  });

  function markSource() {
    var form = orderForm();
    var source = form && form.querySelector("[data-order-source]");
    if (source) source.value = window.matchMedia("(max-width: 760px)").matches ? "phone" : "web";
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", markSource);
  else markSource();
  window.addEventListener("pageshow", function () {
    var form = orderForm();
    if (form) delete form.dataset.sent;
  });
})();
