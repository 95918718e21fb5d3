// Victim-warning countdowns on /fraud/warnings. The server renders the time left (the page
// reads fine without this script); this ticks it every second and turns a card red when its
// deadline passes. It counts from the server's figure, not the browser's clock, so a skewed
// PC clock cannot make a warning look less urgent than it is.
(function () {
  "use strict";
  const timers = Array.from(document.querySelectorAll("[data-remaining-s]"));
  if (!timers.length) return;
  const started = performance.now();
  const SOON_S = 600; // matches the server: amber in the last 10 minutes

  function span(seconds) {
    const s = Math.abs(seconds);
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    return (h ? h + " h " : "") + (h || m ? m + " min " : "") + (s % 60) + " s";
  }

  function tick() {
    const elapsed = Math.floor((performance.now() - started) / 1000);
    for (const el of timers) {
      const left = Number(el.dataset.remainingS) - elapsed;
      el.textContent = left > 0 ? span(left) + " left" : "Overdue by " + span(left);
      const card = el.closest("[data-warning]");
      if (card) {
        card.classList.toggle("overdue", left <= 0);
        card.classList.toggle("due-soon", left > 0 && left <= SOON_S);
      }
    }
  }

  tick();
  window.setInterval(tick, 1000);
})();
