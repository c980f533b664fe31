// Checks certificate signatures in the browser (WebCrypto Ed25519) against the keys embedded in
// the page, so a verifier can check a QR code with no connection once the page is open.
(function () {
  "use strict";

  function bytesFromBase64url(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) base64 += "=";
    var binary = window.atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  }

  function jsonFromBase64url(text) {
    return JSON.parse(new TextDecoder().decode(bytesFromBase64url(text)));
  }

  // A verification address with the token in its fragment, or a bare token.
  function tokenFrom(text) {
    var trimmed = (text || "").trim();
    var hash = trimmed.indexOf("#");
    var token = hash >= 0 ? trimmed.slice(hash + 1) : trimmed;
    return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token) ? token : null;
  }

  // Resolves to {verdict: "genuine"|"bad_signature"|"unknown_key"|"malformed"|"unsupported", claims}
  function check(token, jwks) {
    if (!token) return Promise.resolve({ verdict: "malformed" });
    var parts = token.split(".");
    var header, claims;
    try {
      header = jsonFromBase64url(parts[0]);
      claims = jsonFromBase64url(parts[1]);
    } catch (e) {
      return Promise.resolve({ verdict: "malformed" });
    }
    if (header.alg !== "EdDSA") return Promise.resolve({ verdict: "bad_signature" });
    var jwk = (jwks.keys || []).filter(function (k) { return k.kid === header.kid; })[0];
    if (!jwk) return Promise.resolve({ verdict: "unknown_key" });
    if (!window.crypto || !window.crypto.subtle) return Promise.resolve({ verdict: "unsupported" });
    return window.crypto.subtle
      .importKey("jwk", { kty: "OKP", crv: "Ed25519", x: jwk.x }, { name: "Ed25519" }, false, ["verify"])
      .then(function (key) {
        var signed = new TextEncoder().encode(parts[0] + "." + parts[1]);
        return window.crypto.subtle.verify({ name: "Ed25519" }, key, bytesFromBase64url(parts[2]), signed);
      })
      .then(function (ok) { return { verdict: ok ? "genuine" : "bad_signature", claims: claims }; })
      .catch(function () { return { verdict: "unsupported" }; });
  }

  // On a verification page opened from a QR code: check the token in the address's fragment.
  var badge = document.getElementById("signature-check");
  if (badge && window.location.hash.length > 1) {
    var jwks = JSON.parse(badge.getAttribute("data-jwks"));
    check(tokenFrom(window.location.hash), jwks).then(function (result) {
      var sameCode = result.claims && result.claims.code === badge.getAttribute("data-code");
      var genuine = result.verdict === "genuine" && sameCode;
      badge.textContent = badge.getAttribute(genuine ? "data-genuine" : "data-mismatch");
      badge.className = "flash " + (genuine ? "flash-success" : "flash-error");
      badge.hidden = false;
    });
  }

  // The offline checker page: paste what the phone's camera read.
  var form = document.getElementById("scan-form");
  if (form) {
    var result = document.getElementById("scan-result");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var keys = JSON.parse(form.getAttribute("data-jwks"));
      check(tokenFrom(form.elements.payload.value), keys).then(function (outcome) {
        var message = {
          genuine: form.getAttribute("data-genuine"),
          bad_signature: form.getAttribute("data-bad"),
          unknown_key: form.getAttribute("data-unknown"),
          malformed: form.getAttribute("data-malformed"),
          unsupported: form.getAttribute("data-unsupported")
        }[outcome.verdict];
        result.textContent = "";
        var verdict = document.createElement("p");
        verdict.className = "flash " + (outcome.verdict === "genuine" ? "flash-success" : "flash-error");
        verdict.textContent = message;
        result.appendChild(verdict);
        if (outcome.verdict === "genuine") {
          var c = outcome.claims;
          var details = document.createElement("p");
          details.textContent = [c.holder_name, c.business, c.province, c.course_title_vi, c.code,
            c.issued_on + " → " + c.expires_on].filter(Boolean).join(" · ");
          result.appendChild(details);
          var note = document.createElement("p");
          note.className = "muted";
          note.textContent = form.getAttribute("data-online");
          result.appendChild(note);
        }
      });
    });
  }
})();
