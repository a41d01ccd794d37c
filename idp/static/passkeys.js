// Passkeys (WebAuthn Level 3) on the provider's pages: sign in with a passkey, alone or after the
// password, and register one on the account page. The server makes the options and checks the
// answers; this file only carries them between it and navigator.credentials. A file, not inline
// script, so the pages work under a CSP without 'unsafe-inline'.
//
// Each <section data-passkey="sign-in|second-factor|register"> names its options endpoint
// (JSON, CSRF token in a header) and the messages to show in the citizen's language, and holds
// the form that posts the browser's answer, as JSON in its "credential" field, like any form.
"use strict";
(function () {
  if (!window.PublicKeyCredential || !navigator.credentials) {
    return; // the sections stay hidden; the page works without passkeys
  }

  function decode(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    var binary = atob(base64 + "===".slice((base64.length + 3) % 4));
    return Uint8Array.from(binary, function (c) { return c.charCodeAt(0); }).buffer;
  }

  function encode(buffer) {
    var binary = String.fromCharCode.apply(null, new Uint8Array(buffer));
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map(function (d) {
      return { type: d.type, id: decode(d.id), transports: d.transports };
    });
  }

  // The JSON options (§5.4, §5.5) with their base64url members made into bytes.
  function creationOptions(json) {
    var options = Object.assign({}, json);
    options.challenge = decode(json.challenge);
    options.user = Object.assign({}, json.user, { id: decode(json.user.id) });
    options.excludeCredentials = descriptors(json.excludeCredentials);
    return options;
  }

  function requestOptions(json) {
    var options = Object.assign({}, json);
    options.challenge = decode(json.challenge);
    options.allowCredentials = descriptors(json.allowCredentials);
    return options;
  }

  // PublicKeyCredential.toJSON() (§5.1), written out for browsers that lack it.
  function credentialJSON(credential) {
    var response = credential.response;
    var json = {
      id: credential.id,
      rawId: encode(credential.rawId),
      type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment || null,
      clientExtensionResults: credential.getClientExtensionResults(),
      response: { clientDataJSON: encode(response.clientDataJSON) },
    };
    if (response.attestationObject) {
      json.response.attestationObject = encode(response.attestationObject);
      json.response.transports = response.getTransports ? response.getTransports() : [];
    } else {
      json.response.authenticatorData = encode(response.authenticatorData);
      json.response.signature = encode(response.signature);
      json.response.userHandle = response.userHandle ? encode(response.userHandle) : null;
    }
    return json;
  }

  function fetchOptions(section) {
    return fetch(section.dataset.optionsUrl, {
      method: "POST",
      credentials: "same-origin",
      redirect: "manual",
      headers: { "Content-Type": "application/json", "X-CSRFToken": section.dataset.csrfToken },
      body: "{}",
    }).then(function (reply) {
      if (reply.type === "opaqueredirect") {
        // The sign-in is no longer recent enough: the page itself leads to a new sign-in.
        window.location.reload();
        return new Promise(function () {});
      }
      return reply.json().catch(function () { return {}; }).then(function (data) {
        if (!reply.ok) {
          throw { fromServer: true, message: data.error || section.dataset.messageFailed };
        }
        return data;
      });
    });
  }

  function say(section, text) {
    var status = section.querySelector("[data-passkey-status]");
    status.textContent = text;
    status.hidden = !text;
  }

  // What the browser's own errors mean for the citizen (§5.1.3, §5.1.4).
  function explain(section, error) {
    if (error && error.name === "NotAllowedError") {
      return section.dataset.messageCancelled;
    }
    if (error && error.name === "InvalidStateError") {
      return section.dataset.messageExists;
    }
    if (error && error.fromServer) {
      return error.message;
    }
    return section.dataset.messageFailed;
  }

  function submit(section, credential) {
    var form = section.querySelector("form");
    form.elements.credential.value = JSON.stringify(credentialJSON(credential));
    form.submit();
  }

  function signIn(section) {
    var button = section.querySelector("[data-action=passkey-login]");
    var conditional = null; // the pending autofill request, aborted when the button is used

    function request(mediation) {
      var controller = new AbortController();
      var done = fetchOptions(section).then(function (options) {
        var asked = { publicKey: requestOptions(options), signal: controller.signal };
        if (mediation) {
          asked.mediation = mediation;
        }
        return navigator.credentials.get(asked);
      }).then(function (credential) {
        submit(section, credential);
      });
      return { controller: controller, done: done };
    }

    button.addEventListener("click", function () {
      say(section, "");
      var previous = conditional ? conditional.done.catch(function () {}) : Promise.resolve();
      if (conditional) {
        conditional.controller.abort();
        conditional = null;
      }
      button.disabled = true;
      previous.then(function () {
        return request(null).done;
      }).catch(function (error) {
        say(section, explain(section, error));
        button.disabled = false;
      });
    });

    // Conditional mediation (§5.1.4, mediation "conditional"): the browser offers passkeys in
    // the citizen-ID field's autofill (autocomplete="username webauthn").
    if (section.dataset.passkey === "sign-in" && PublicKeyCredential.isConditionalMediationAvailable) {
      PublicKeyCredential.isConditionalMediationAvailable().then(function (available) {
        if (!available) {
          return;
        }
        conditional = request("conditional");
        conditional.done.catch(function (error) {
          if (error && error.name !== "AbortError") {
            say(section, explain(section, error));
          }
        });
      });
    }
  }

  function register(section) {
    var button = section.querySelector("[data-action=passkey-register]");
    var form = section.querySelector("form");
    form.addEventListener("submit", function (event) {
      event.preventDefault(); // Enter in the name field: make the passkey first
      button.click();
    });
    button.addEventListener("click", function () {
      say(section, "");
      if (!form.reportValidity()) {
        return;
      }
      button.disabled = true;
      fetchOptions(section).then(function (options) {
        return navigator.credentials.create({ publicKey: creationOptions(options) });
      }).then(function (credential) {
        submit(section, credential);
      }).catch(function (error) {
        say(section, explain(section, error));
        button.disabled = false;
      });
    });
  }

  document.querySelectorAll("[data-passkey-unsupported]").forEach(function (note) {
    note.hidden = true;
  });
  document.querySelectorAll("[data-passkey]").forEach(function (section) {
    section.hidden = false;
    if (section.dataset.passkey === "register") {
      register(section);
    } else {
      signIn(section);
    }
  });
})();
