// A page that answers a form with errors puts the keyboard focus on the first of them, so a
// screen reader reads the refused field with its message (aria-describedby) at once
// (WCAG 2.2 SC 3.3.1 Error Identification, SC 2.4.3 Focus Order). A field given `autofocus`
// by the page keeps its focus.
(function () {
  "use strict";
  if (document.activeElement && document.activeElement !== document.body) { return; }
  var target = document.querySelector("main [aria-invalid=true]") ||
    document.querySelector("main [aria-describedby~=form-error]");
  if (!target) {
    // An error about the whole form, with no field to put right (a lock-out, a rule of the
    // password): the message itself takes the focus.
    target = document.getElementById("form-error");
    if (!target) { return; }
    target.setAttribute("tabindex", "-1");
  }
  target.focus();
})();
