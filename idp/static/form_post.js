// OAuth 2.0 Form Post Response Mode: send the response to the portal as soon as the page loads.
// A file, not inline script, so the page works under a CSP without 'unsafe-inline'.
"use strict";
document.querySelectorAll("form[data-auto-submit]").forEach(function (form) {
  form.submit();
});
