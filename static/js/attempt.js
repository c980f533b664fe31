// Counts down the time left on an attempt and saves the answers when it runs out.
// The server enforces the limit on its own; this only keeps the learner informed.
(function () {
  "use strict";
  var timer = document.querySelector(".timer[data-seconds-left]");
  if (!timer) return;
  var minutes = timer.querySelector(".minutes");
  var deadline = Date.now() + Number(timer.getAttribute("data-seconds-left")) * 1000;
  var saveButton = document.querySelector("form.attempt button[value='save']");
  // a page opened after the deadline (within the server's grace) must not save again and again
  var saved = Number(timer.getAttribute("data-seconds-left")) === 0;
  function tick() {
    var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
    if (minutes) minutes.textContent = String(Math.floor(left / 60));
    if (left <= 60) timer.classList.add("urgent");
    if (left === 0 && !saved && saveButton) {
      saved = true;
      saveButton.click();
      return;
    }
    window.setTimeout(tick, 1000);
  }
  tick();
})();
