/* Verbatim: an interview's recording played along its transcript (the interview page), and passages
 * played from it (the inspector's and the excerpts page's "Listen" buttons). The browser's own
 * <audio>/<video controls> plays; this file only seeks, stops and follows.
 *
 * - A turn's time (button.seek[data-time]) seeks there and plays.
 * - Keys, anywhere on the page: Alt+P plays or pauses, Alt+B goes back 5 s, Alt+L plays from the cue
 *   of the passage at the caret (or selected); Alt+click on the transcript plays from the cue clicked.
 *   The workspace's keys (workspace.js: 1–9, N/P, Enter, Escape, Ctrl+Z, typing in the popover) are
 *   plain or Ctrl: none of them uses Alt. event.code, not event.key: Alt+P types "π" on a Mac.
 * - While it plays, the current cue's passage is painted (CSS Custom Highlight API, no change to the
 *   DOM the coding code owns) and its turn gets the class "playing"; with "Follow" on, the page
 *   scrolls to keep it in view, but never while text is selected in the transcript, the code popover
 *   is open, or a text field has the focus: the text must not move under the user's hands.
 * - A passage button (button.play-passage) plays from data-from to data-to, and stops there; on a
 *   page without the player (excerpts), in an <audio> of its own, from data-src.
 * Cues come from the player's data-cues: [text start, text end, seconds, seconds until or null], in
 * text order (interviews/recordings.py). Listeners are delegated from the document, and the player is
 * looked up again when it was replaced (Back restores a page from htmx's history). */
(function () {
  "use strict";
  var O = window.VerbatimOffsets;
  var BACK_SECONDS = 5;
  var player = null, cues = [], byTime = [], current = -1;
  var own = null; // the excerpts page's player
  var stopAt = null, stopping = null, pressed = null, ourSeek = false;

  function bind() {
    player = document.getElementById("recording-player");
    cues = player ? JSON.parse(player.getAttribute("data-cues") || "[]") : [];
    byTime = cues.map(function (_cue, i) { return i; });
    byTime.sort(function (a, b) { return cues[a][2] - cues[b][2]; });
    current = -1;
    var follow = document.getElementById("recording-follow");
    if (follow) follow.checked = localStorage.getItem("verbatim:follow") === "on";
  }
  function live() {
    if (!player || !player.isConnected) bind();
    return !!player;
  }
  function transcript() { return document.getElementById("transcript"); }
  function elementOf(node) { return node && (node.nodeType === 1 ? node : node.parentElement); }

  function start(media) {
    var promise = media.play();
    if (promise && promise.catch) promise.catch(function () {}); // refused or interrupted: the controls say so
  }

  // Seek `media` to `seconds` and play, stopping at `until` (null: play on).
  function playFrom(media, seconds, until) {
    ourSeek = true;
    media.currentTime = Math.max(0, seconds);
    stopAt = until !== null && until > seconds ? until : null;
    stopping = media;
    start(media);
    watch();
  }

  // Precise stops: every frame while a stop is due (timeupdate comes only every quarter second).
  function watch() {
    if (stopAt === null || !stopping) return;
    if (stopping.currentTime >= stopAt) { stopping.pause(); stopAt = null; return; }
    if (!stopping.paused) window.requestAnimationFrame(watch);
  }

  function mediaFor(button) {
    var src = button.getAttribute("data-src");
    if (!src && live()) return player;
    if (!own) {
      own = document.createElement("audio");
      own.preload = "none";
      own.hidden = true;
      document.body.appendChild(own);
    }
    if (own.getAttribute("src") !== src) own.setAttribute("src", src);
    return own;
  }

  function press(button) {
    if (pressed && pressed !== button) pressed.setAttribute("aria-pressed", "false");
    pressed = button;
    if (button) button.setAttribute("aria-pressed", "true");
  }

  function playPassage(button) {
    var media = mediaFor(button);
    if (pressed === button && !media.paused) { media.pause(); return; }
    var until = button.hasAttribute("data-to") ? parseFloat(button.getAttribute("data-to")) : null;
    press(button);
    playFrom(media, parseFloat(button.getAttribute("data-from")), until);
  }

  /* Following ------------------------------------------------------------------------------ */

  // The cue heard at `seconds`: the last one to start at or before it (-1 before the first).
  function cueAt(seconds) {
    var low = 0, high = byTime.length - 1, found = -1;
    while (low <= high) {
      var middle = (low + high) >> 1;
      if (cues[byTime[middle]][2] <= seconds + 0.001) { found = byTime[middle]; low = middle + 1; }
      else high = middle - 1;
    }
    return found;
  }

  // The cue of the text at `offset`: the last one to start at or before it.
  function cueOfOffset(offset) {
    var found = -1;
    for (var i = 0; i < cues.length && cues[i][0] <= offset; i++) found = i;
    return found;
  }

  function following() {
    var box = document.getElementById("recording-follow");
    return !!box && box.checked;
  }

  // The user is reading or coding a passage: the page must not move.
  function busy(root) {
    var selection = window.getSelection();
    if (selection && !selection.isCollapsed && root.contains(selection.anchorNode)) return true;
    var popover = document.getElementById("code-popover");
    if (popover && !popover.hidden) return true;
    var active = document.activeElement;
    return !!active && active.matches("textarea, input[type=text], input[type=search], [contenteditable]");
  }

  function showCurrent() {
    if (!live()) return;
    var i = cueAt(player.currentTime), root = transcript();
    if (i === current || !root) return;
    current = i;
    var range = i >= 0 ? O.rangeToDom(root, cues[i][0], cues[i][1]) : null;
    if (window.CSS && CSS.highlights) {
      if (range) CSS.highlights.set("playing-cue", new Highlight(range));
      else CSS.highlights.delete("playing-cue");
    }
    var element = range && elementOf(range.startContainer);
    var turn = element && element.closest(".turn");
    var before = root.querySelector(".turn.playing");
    if (before && before !== turn) before.classList.remove("playing");
    if (turn) turn.classList.add("playing");
    if (!range || !following() || busy(root)) return;
    var box = range.getBoundingClientRect(), margin = window.innerHeight / 5;
    if (box.top < margin || box.bottom > window.innerHeight - margin) {
      window.scrollBy({ top: box.top - window.innerHeight / 3 });
    }
  }

  /* Listeners -------------------------------------------------------------------------------- */

  function playAtOffset(offset) {
    var i = offset === null ? -1 : cueOfOffset(offset);
    if (i < 0) {
      var status = document.getElementById("workspace-status");
      if (status) status.textContent = player.getAttribute("data-untimed");
      return;
    }
    press(null);
    playFrom(player, cues[i][2], null);
  }

  // The offset of a caret (or a click) in the transcript: at the end of a line, that line; in a
  // speaker's header, the start of that speaker's text (offsets.js).
  function offsetAt(node, offset, root) { return O.pointToOffset(node, offset, "caret", root); }

  function caretOffset() {
    var selection = window.getSelection(), root = transcript();
    if (!root || !selection.rangeCount || !root.contains(selection.anchorNode)) return null;
    var range = selection.getRangeAt(0);
    return offsetAt(range.startContainer, range.startOffset, root);
  }

  document.addEventListener("keydown", function (event) {
    if (!event.altKey || event.ctrlKey || event.metaKey || !live()) return;
    if (event.code === "KeyP") {
      event.preventDefault();
      if (player.paused) start(player);
      else player.pause();
    } else if (event.code === "KeyB") {
      event.preventDefault();
      ourSeek = true;
      player.currentTime = Math.max(0, player.currentTime - BACK_SECONDS);
    } else if (event.code === "KeyL") {
      event.preventDefault();
      playAtOffset(caretOffset());
    }
  });

  document.addEventListener("click", function (event) {
    var seek = event.target.closest("button.seek[data-time]");
    if (seek && live()) {
      press(null);
      playFrom(player, parseFloat(seek.getAttribute("data-time")), null);
      return;
    }
    var passage = event.target.closest("button.play-passage");
    if (passage) { playPassage(passage); return; }
    var enlarge = event.target.closest("#recording-enlarge");
    if (enlarge) {
      var large = document.getElementById("recording-frame").classList.toggle("large");
      enlarge.setAttribute("aria-pressed", String(large));
      return;
    }
    var root = transcript();
    if (event.altKey && root && root.contains(event.target) && live() && document.caretRangeFromPoint) {
      var point = document.caretRangeFromPoint(event.clientX, event.clientY);
      if (point) playAtOffset(offsetAt(point.startContainer, point.startOffset, root));
    }
  });

  document.addEventListener("change", function (event) {
    if (event.target.id !== "recording-follow") return;
    localStorage.setItem("verbatim:follow", event.target.checked ? "on" : "off");
    current = -1;
    if (event.target.checked) showCurrent();
  });

  // Media events do not bubble: listened to in the capture phase, for the page's player and our own.
  document.addEventListener("timeupdate", function (event) {
    if (event.target === player) showCurrent();
  }, true);
  document.addEventListener("seeking", function (event) {
    // The user moved the player's own slider: a passage's stop no longer applies.
    if (!ourSeek && event.target === stopping) { stopAt = null; press(null); }
    ourSeek = false;
  }, true);
  document.addEventListener("pause", function (event) {
    if (event.target === stopping || event.target === own) press(null);
  }, true);
  document.addEventListener("htmx:historyRestore", function () { bind(); });
  document.addEventListener("htmx:afterSwap", function () { current = -1; if (live()) showCurrent(); });
  document.addEventListener("DOMContentLoaded", function () { if (live()) bind(); });
})();
