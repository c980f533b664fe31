// Offline reading. Pages are fetched from the network first; when that fails, from the copy a
// learner saved with "Save for offline reading" (static/js/offline.js fills the cache).
// Nothing is cached unless the learner asked for it, and never a POST.
"use strict";
var CACHE = "lms-offline-v1";

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET" || new URL(request.url).origin !== self.location.origin) return;
  event.respondWith(
    fetch(request).catch(function () {
      return caches.open(CACHE).then(function (cache) {
        return cache.match(request, { ignoreSearch: false, ignoreVary: true });
      }).then(function (saved) {
        if (saved) return saved;
        if (request.mode === "navigate") {
          return new Response(
            "<!doctype html><meta charset=utf-8><meta name=viewport content='width=device-width'>" +
            "<title>Offline</title><p>Bạn đang ngoại tuyến và trang này chưa được lưu để đọc ngoại tuyến.</p>" +
            "<p lang=en>You are offline and this page was not saved for offline reading.</p>",
            { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } });
        }
        return Response.error();
      });
    })
  );
});
