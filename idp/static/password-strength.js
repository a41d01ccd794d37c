// A strength meter for new-password fields: <div data-strength-for="FIELD_ID"> holds a
// <meter> and a live text. It is a hint while typing; the server's policy decides.
(function () {
  "use strict";
  function estimate(value) {
    // Bits of a guess space: the character pools used, to the power of the length,
    // discounted for repeated characters.
    var pools = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^a-zA-Z0-9]/];
    var sizes = [26, 26, 10, 33];
    var pool = 0;
    for (var i = 0; i < pools.length; i++) {
      if (pools[i].test(value)) { pool += sizes[i]; }
    }
    var distinct = new Set(Array.from(value)).size;
    return distinct * Math.log2(Math.max(pool, 1)) + (value.length - distinct);
  }
  document.querySelectorAll("[data-strength-for]").forEach(function (box) {
    var input = document.getElementById(box.getAttribute("data-strength-for"));
    var meter = box.querySelector("meter");
    var text = box.querySelector("[data-strength-text]");
    var labels = JSON.parse(box.getAttribute("data-strength-labels"));
    var minimum = parseInt(box.getAttribute("data-strength-minimum"), 10);
    if (!input || !meter || !text) { return; }
    input.addEventListener("input", function () {
      var value = input.value;
      var level = value.length === 0 ? 0 : value.length < minimum ? 1
        : Math.min(4, 1 + Math.floor(estimate(value) / 25));
      meter.value = level;
      text.textContent = value.length === 0 ? "" : labels[level];
    });
  });
})();
