// ChannelHub pages: the phone menu, auto-submitting selects, confirmations, division pickers.
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var toggle = event.target.closest("[data-nav-toggle]");
    if (toggle) {
      var open = document.body.classList.toggle("nav-open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      return;
    }
    var pick = event.target.closest("[data-pick-code]");
    if (pick) {
      var input = document.getElementById(pick.dataset.pickTarget);
      if (!input) return;
      var codes = input.value.split(/[\s,，、;；]+/).filter(Boolean);
      if (codes.indexOf(pick.dataset.pickCode) === -1) codes.push(pick.dataset.pickCode);
      input.value = codes.join(", ");
      input.dispatchEvent(new Event("change", { bubbles: true }));
      pick.classList.add("picked");
      return;
    }
    var copy = event.target.closest("[data-copy]");
    if (copy && navigator.clipboard) {
      var source = document.querySelector(copy.dataset.copy);
      if (source) navigator.clipboard.writeText(source.textContent.trim()).then(function () {
        copy.classList.add("copied");
      });
    }
  });

  document.addEventListener("change", function (event) {
    if (event.target.matches("[data-autosubmit]")) {
      var form = event.target.form;
      if (form.requestSubmit) form.requestSubmit(); else form.submit();
    }
  });

  document.addEventListener("submit", function (event) {
    var message = event.target.dataset && event.target.dataset.confirm;
    if (message && !window.confirm(message)) event.preventDefault();
  });
})();
