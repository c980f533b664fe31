// Offline reading and offline progress for signed-in learners.
// - "Save for offline reading" stores a course's pages in the cache the service worker reads.
// - "Mark as complete" while offline is kept on the phone, per user, and sent to /progress/sync
//   when the phone is back online. The server counts each lesson once, so sending twice is harmless.
(function () {
  "use strict";
  var CACHE = "lms-offline-v1";
  var user = document.querySelector('meta[name="lms-user"]');
  var status = document.getElementById("offline-status");
  if (!user || !status) return;
  var queueKey = "lms-pending-completions-" + user.content;

  function pending() {
    try { return JSON.parse(window.localStorage.getItem(queueKey) || "[]"); } catch (e) { return []; }
  }
  function keep(items) { window.localStorage.setItem(queueKey, JSON.stringify(items)); }
  function say(message, count) {
    status.textContent = (message || "").replace("{count}", String(count));
    status.hidden = false;
  }

  if ("serviceWorker" in navigator && window.caches) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" });
    document.querySelectorAll("[data-offline-manifest]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        button.disabled = true;
        say(status.getAttribute("data-saving"), 0);
        fetch(button.getAttribute("data-offline-manifest"), { credentials: "same-origin" })
          .then(function (response) { if (!response.ok) throw new Error("manifest"); return response.json(); })
          .then(function (manifest) {
            return caches.open(CACHE).then(function (cache) {
              var urls = manifest.pages.concat(manifest.files);
              return Promise.all(urls.map(function (url) {
                return fetch(url, { credentials: "same-origin", headers: { "X-LMS-Prefetch": "1" } }).then(function (response) {
                  if (response.ok) return cache.put(url, response);
                });
              })).then(function () { say(status.getAttribute("data-saved"), manifest.pages.length - 1); });
            });
          })
          .catch(function () { say(status.getAttribute("data-failed"), 0); })
          .then(function () { button.disabled = false; });
      });
    });
  }

  var form = document.querySelector("form[data-lesson-id]");
  if (form) {
    form.addEventListener("submit", function (event) {
      if (navigator.onLine) return;
      event.preventDefault();
      var items = pending();
      var lesson = Number(form.getAttribute("data-lesson-id"));
      if (items.indexOf(lesson) < 0) items.push(lesson);
      keep(items);
      say(status.getAttribute("data-queued"), items.length);
    });
  }

  function sync() {
    var items = pending();
    var token = document.querySelector('meta[name="csrf-token"]');
    if (!items.length || !navigator.onLine || !token) return;
    fetch("/progress/sync", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token.content },
      body: JSON.stringify({ lessons: items })
    })
      .then(function (response) {
        var json = (response.headers.get("Content-Type") || "").indexOf("json") >= 0;
        if (!response.ok || !json) throw new Error("sync");
        return response.json();
      })
      .then(function (data) {
        var answered = data.results.map(function (r) { return r.lesson; });
        keep(pending().filter(function (id) { return answered.indexOf(id) < 0; }));
        var recorded = data.results.filter(function (r) { return r.status === "completed" || r.status === "already"; }).length;
        say(status.getAttribute("data-synced"), recorded);
      })
      .catch(function () { /* still offline or signed out: try again later */ });
  }
  window.addEventListener("online", sync);
  sync();
})();
