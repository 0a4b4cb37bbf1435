// The promotion form shows the parameters of the chosen mechanic only (all of them without JS).
(function () {
  "use strict";

  function showParams(select) {
    document.querySelectorAll(".mechanic-params").forEach(function (block) {
      block.hidden = block.dataset.mechanic !== select.value;
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var select = document.querySelector(".promotion-form #id_mechanic");
    if (!select) return;
    showParams(select);
    select.addEventListener("change", function () { showParams(select); });
  });
})();
