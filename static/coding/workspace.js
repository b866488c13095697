/* Verbatim coding workspace: the only behaviour htmx attributes cannot express.
 *
 * - Selecting text opens the code popover (#code-popover) beside it, at once (a shortcut typed right
 *   after the mouse is released applies to that passage), without moving the page; the passage goes
 *   to the server as code-point offsets (VerbatimOffsets, offsets.js). The server validates them and
 *   answers with the paragraphs to redraw, out of band.
 * - Type-ahead in the popover: typing filters the codes (accents and case ignored), arrows move, Enter
 *   applies, 1–9 apply the shortcut codes while nothing is typed, Escape closes.
 * - Clicking a highlight or its stripe (stripes.js) opens the inspector for the codings under it.
 * - Without a mouse: Tab to the transcript; ↑/↓ go from paragraph to paragraph, ←/→ move the caret
 *   (Ctrl: by word), Shift with the arrows selects, Enter opens the popover — or, on a coded passage,
 *   the inspector; N/P go to the next/previous coded passage; Escape comes back.
 * - Undo (Ctrl+Z) undoes what this tab did, last first: each action's response names its action group
 *   and says what it was ("coding-done"); the tab keeps them in sessionStorage.
 * Every element is looked up again when htmx swaps the page (Back restores it from history), and
 * every listener is delegated from the document, so a restored page works as a fresh one.
 * The pending passage stays painted (CSS Custom Highlight API) while the focus is in the popover. */
(function () {
  "use strict";
  var O = window.VerbatimOffsets, S = window.VerbatimStripes;
  var root, popover, form, input, status, pending = null, active = null, caretMark = null;

  function bind() {
    root = document.getElementById("transcript");
    popover = document.getElementById("code-popover");
    form = popover && popover.querySelector("form");
    input = popover && popover.querySelector("input[type=search]");
    status = document.getElementById("workspace-status");
    pending = null;
    active = null;
    caretMark = null;
    S.attach(root);
    var toggle = document.getElementById("stripes-on");
    if (toggle) {
      toggle.checked = localStorage.getItem("verbatim:stripes") !== "off";
      S.show(toggle.checked);
      S.filter(document.getElementById("stripes-coder").value, document.getElementById("stripes-code").value);
    }
    showUndo();
  }
  // True when the page is a workspace; looks its elements up again if they were replaced.
  function live() {
    if (!root || !root.isConnected) bind();
    return !!root;
  }
  function canCode() { return live() && !!popover; }

  function fold(s) { return s.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase().trim(); }
  function choices() { return Array.prototype.slice.call(popover.querySelectorAll("#code-choices li")); }
  function visible() { return choices().filter(function (li) { return !li.hidden; }); }
  function say(message, isError) {
    status.textContent = message;
    status.classList.toggle("error", !!isError);
  }
  // For screen readers only: what a sighted user sees for themselves.
  function announce(message) { document.getElementById("workspace-announce").textContent = message; }

  function paint() {
    if (!window.CSS || !CSS.highlights) return;
    var range = pending && O.rangeToDom(root, pending.start, pending.end);
    if (range) CSS.highlights.set("pending-passage", new Highlight(range));
    else CSS.highlights.delete("pending-passage");
  }

  // Scrolls the list alone, never the page (scrollIntoView would scroll every ancestor).
  function keepInList(li) {
    var list = li.parentNode;
    if (li.offsetTop < list.scrollTop) list.scrollTop = li.offsetTop;
    else if (li.offsetTop + li.offsetHeight > list.scrollTop + list.clientHeight) {
      list.scrollTop = li.offsetTop + li.offsetHeight - list.clientHeight;
    }
  }

  function setActive(li) {
    choices().forEach(function (c) {
      c.classList.toggle("active", c === li);
      c.setAttribute("aria-selected", String(c === li));
    });
    active = li;
    if (li) { input.setAttribute("aria-activedescendant", li.id); keepInList(li); }
    else input.removeAttribute("aria-activedescendant");
  }

  function filter() {
    var q = fold(input.value), exact = false;
    choices().forEach(function (li) {
      var name = li.getAttribute("data-name");
      li.hidden = q ? (li.classList.contains("shortcut") || name.indexOf(q) < 0) : false;
      if (q && fold(li.getAttribute("data-leaf")) === q) exact = true;
    });
    var create = popover.querySelector("[data-new=typed]");
    create.hidden = !q || exact;
    create.value = input.value.trim();
    create.querySelector("q").textContent = input.value.trim();
    setActive(visible()[0] || null);
  }

  // Beside the passage, below it or above it when there is no room below; inside the viewport.
  function place() {
    var range = O.rangeToDom(root, pending.start, pending.end);
    var rect = range ? range.getBoundingClientRect() : root.getBoundingClientRect();
    var width = popover.offsetWidth, height = popover.offsetHeight;
    var viewWidth = document.documentElement.clientWidth, viewHeight = window.innerHeight;
    var top = rect.bottom + 8;
    if (top + height > viewHeight && rect.top - 8 - height >= 0) top = rect.top - 8 - height;
    var left = Math.max(Math.min(rect.left, viewWidth - width - 8), 8);
    popover.style.top = top + window.scrollY + "px";
    popover.style.left = left + window.scrollX + "px";
  }

  // Take the current selection as the pending passage; true when there is one in the transcript.
  function takeSelection() {
    var range = O.selectionToRange(window.getSelection(), root);
    if (!range) return false;
    pending = range;
    form.querySelector("[name=start]").value = range.start;
    form.querySelector("[name=end]").value = range.end;
    var words = range.text.replace(/\s+/g, " ").trim();
    popover.querySelector(".passage").textContent = words.length > 120 ? words.slice(0, 117) + "…" : words;
    var inVivo = popover.querySelector("[data-new=in-vivo]");
    inVivo.value = words.length > 80 ? words.slice(0, 80).replace(/\s+\S*$/, "") : words;
    inVivo.querySelector("q").textContent = inVivo.value;
    return true;
  }

  function open(focus) {
    if (!takeSelection()) return false;
    var wasHidden = popover.hidden;
    popover.hidden = false;
    input.value = "";
    place(); // where it stays, before anything inside it moves
    filter();
    paint();
    if (focus) input.focus({ preventScroll: true });
    else if (wasHidden) announce(root.getAttribute("data-popover-open")); // the mouse user's screen reader
    return true;
  }

  // refocus: back to the transcript, the caret after the passage (the keyboard user's Escape).
  function close(refocus) {
    var last = pending;
    popover.hidden = true;
    pending = null;
    paint();
    if (!refocus || !last || !popover.contains(document.activeElement)) return;
    root.focus({ preventScroll: true });
    var range = O.rangeToDom(root, last.start, last.end);
    if (range) window.getSelection().collapse(range.endContainer, range.endOffset);
    showCaret();
  }

  /* The keyboard caret. Without caret browsing a page has no caret, so the transcript keeps one in
   * the document's selection (Selection.modify moves it as a text editor would) and paints the
   * character after it. */
  var STEPS = { ArrowLeft: "backward", ArrowRight: "forward", ArrowUp: "backward", ArrowDown: "forward" };

  function caretAt(paragraph) {
    var text = paragraph && document.createTreeWalker(paragraph, NodeFilter.SHOW_TEXT).nextNode();
    if (text) window.getSelection().collapse(text, 0);
  }

  function elementOf(node) { return node && (node.nodeType === 1 ? node : node.parentElement); }
  function paragraphOf(node) { var e = elementOf(node); return e && e.closest("#transcript p[data-start]"); }
  function markOf(node) { var e = elementOf(node); return e && e.closest("#transcript mark[data-codings]"); }
  function paragraphs() { return Array.prototype.slice.call(root.querySelectorAll("p[data-start]")); }

  function firstInView() {
    var all = paragraphs();
    return all.find(function (p) { return p.getBoundingClientRect().bottom > 0; }) || all[0];
  }

  // The caret entered a coded passage: say which codes, by whom (the highlight's title).
  function announceMark(mark) {
    if (mark === caretMark) return;
    caretMark = mark;
    S.emphasize(mark ? mark.getAttribute("data-codings").split(" ") : []);
    if (mark) {
      var names = mark.getAttribute("title").split("\n").join("; ");
      say(root.getAttribute("data-coded") + " " + names + ". " + root.getAttribute("data-inspect-hint"));
    }
  }

  function showCaret() {
    if (!window.CSS || !CSS.highlights) return;
    var sel = window.getSelection(), node = sel.focusNode;
    CSS.highlights.delete("keyboard-caret");
    if (!node || !root.contains(node)) return;
    elementOf(node).scrollIntoView({ block: "nearest" });
    announceMark(markOf(node));
    if (!sel.isCollapsed || node.nodeType !== 3 || sel.focusOffset >= node.length) return;
    var range = document.createRange();
    range.setStart(node, sel.focusOffset);
    range.setEnd(node, sel.focusOffset + 1);
    CSS.highlights.set("keyboard-caret", new Highlight(range));
  }

  /* A redrawn paragraph (someone's new coding, the codebook's new colours) replaces the text nodes
   * the keyboard's caret or selection lived in: keep them as offsets across the swap. */
  var kept = null;
  function keep() {
    var sel = window.getSelection();
    if (!live() || document.activeElement !== root || !sel.rangeCount || !root.contains(sel.focusNode)) return;
    // The selection's first point is a start, its last an end. A caret stays where it is: as a start,
    // a caret at the end of a line would come back at the start of the next paragraph (and Alt+L,
    // player.js, would then play the next turn).
    var first = sel.getRangeAt(0);
    var backward = !sel.isCollapsed && first.startContainer === sel.focusNode && first.startOffset === sel.focusOffset;
    var point = function (node, offset, bias) { return { at: O.pointToOffset(node, offset, bias, root), bias: bias }; };
    if (sel.isCollapsed) {
      var caret = point(sel.focusNode, sel.focusOffset, "caret");
      kept = { anchor: caret, focus: caret };
      return;
    }
    kept = {
      anchor: point(sel.anchorNode, sel.anchorOffset, backward ? "end" : "start"),
      focus: point(sel.focusNode, sel.focusOffset, backward ? "start" : "end"),
    };
  }
  function restore() {
    if (!kept || !live()) return;
    var a = O.offsetToDom(root, kept.anchor.at, kept.anchor.bias), f = O.offsetToDom(root, kept.focus.at, kept.focus.bias);
    kept = null;
    caretMark = null;
    if (a && f) { window.getSelection().setBaseAndExtent(a[0], a[1], f[0], f[1]); showCaret(); }
  }

  // An arrow key on the focused transcript; true when it moved the caret or the selection.
  function moveCaret(event) {
    var direction = STEPS[event.key];
    if (!direction || event.altKey || event.metaKey) return false;
    var sel = window.getSelection(), vertical = /Up|Down/.test(event.key);
    if (!sel.rangeCount || !root.contains(sel.focusNode)) {
      caretAt(firstInView());
      if (!event.shiftKey) { showCaret(); return true; } // the first press shows where it is
    }
    if (vertical && !event.shiftKey) {
      var here = paragraphOf(sel.focusNode), all = paragraphs();
      caretAt(all[all.indexOf(here) + (direction === "forward" ? 1 : -1)] || here);
    } else {
      sel.modify(event.shiftKey ? "extend" : "move", direction, vertical ? "line" : event.ctrlKey ? "word" : "character");
    }
    showCaret();
    return true;
  }

  // N / P: the caret to the start of the next / previous coded passage.
  function jumpToMark(forward) {
    var sel = window.getSelection(), marks = root.querySelectorAll("mark[data-codings]");
    var here = sel.rangeCount && root.contains(sel.focusNode) ? sel.getRangeAt(0) : null;
    var current = here && markOf(sel.focusNode), target = null;
    for (var i = 0; i < marks.length; i++) {
      var mark = marks[forward ? i : marks.length - 1 - i];
      if (mark === current) continue;
      if (!here) { target = mark; break; }
      var position = here.comparePoint(mark, 0); // -1: the mark is before the caret
      if (forward ? position > 0 : position < 0) { target = mark; break; }
    }
    if (!target) { say(root.getAttribute("data-no-more")); return; }
    var text = document.createTreeWalker(target, NodeFilter.SHOW_TEXT).nextNode();
    sel.collapse(text, 0);
    showCaret();
  }

  // Choose an option (or a "new code" button): the form learns which, and is sent.
  // selectionchange arrives a task late: a quick Shift+Arrow then Enter must code the live selection.
  function choose(choice) {
    if (document.activeElement !== input) takeSelection();
    if (!choice || !pending) return;
    form.querySelector("[name=code]").value = choice.getAttribute("data-code") || "";
    form.querySelector("[name=new_code]").value = choice.hasAttribute("data-new") ? choice.value : "";
    form.requestSubmit();
  }

  function inspect(ids, focus) {
    var url = root.getAttribute("data-inspect-url") + "?ids=" + ids.split(" ").join(",");
    htmx.ajax("GET", url, { target: "#inspector", swap: "outerHTML" }).then(function () {
      var inspector = document.getElementById("inspector");
      if (focus && inspector) inspector.focus();
    });
  }

  /* Undo, per tab: a stack of {group, label} for this interview in sessionStorage. */
  function undoKey() { return "undo:" + location.pathname; }
  function undoStack() { return JSON.parse(sessionStorage.getItem(undoKey()) || "[]"); }
  function saveUndo(stack) { sessionStorage.setItem(undoKey(), JSON.stringify(stack.slice(-50))); showUndo(); }
  function showUndo() {
    var what = document.getElementById("undo-what");
    if (!what) return;
    var stack = undoStack(), last = stack[stack.length - 1];
    what.textContent = last ? last.label : "";
    document.getElementById("undo").setAttribute("aria-disabled", String(!last));
  }

  function onKey(event) {
    if (!live()) return;
    var inInput = !!input && event.target === input;
    if (popover && event.key === "Escape" && !popover.hidden) { close(true); return; }
    // Plain ↑/↓ choose a code while the popover is open; Shift+arrows always refine the passage.
    if (event.target === root && (!popover || popover.hidden || event.shiftKey) && moveCaret(event)) {
      event.preventDefault();
      return;
    }
    // Typing in another field (a memo, a form of the codebook) is none of the popover's business.
    if (!inInput && (/INPUT|TEXTAREA|SELECT/.test(event.target.tagName) || event.target.isContentEditable)) return;
    var plain = !event.ctrlKey && !event.metaKey && !event.altKey;
    if (event.target === root && (!popover || popover.hidden) && plain && /^[np]$/i.test(event.key)) {
      event.preventDefault();
      jumpToMark(event.key.toLowerCase() === "n");
      return;
    }
    if (!popover) {
      if (event.key === "Enter" && event.target === root) inspectAtCaret(event);
      return;
    }
    if ((event.ctrlKey || event.metaKey) && event.key === "z" && !inInput) {
      event.preventDefault();
      document.getElementById("undo").click();
      return;
    }
    // A shortcut typed before the popover showed (the mouse was just released): open it first.
    if (popover.hidden && /^[1-9]$/.test(event.key) && plain && !/BUTTON|A|SUMMARY/.test(event.target.tagName)) {
      var sel = window.getSelection();
      if (!sel.isCollapsed && root.contains(sel.anchorNode)) open(false);
    }
    if (popover.hidden) {
      if (event.key === "Enter" && !/BUTTON|A|SUMMARY/.test(event.target.tagName)) {
        var selection = window.getSelection();
        if (event.target === root && selection.isCollapsed && markOf(selection.focusNode)) { inspectAtCaret(event); return; }
        event.preventDefault(); // else the Enter lands in the popover's box, and submits it
        if (!open(true) && event.target === root) say(root.getAttribute("data-need-selection"), true);
      }
      return;
    }
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (!inInput && event.shiftKey) return; // extending the selection
      var items = visible(), i = items.indexOf(active) + (event.key === "ArrowDown" ? 1 : -1);
      if (items.length) setActive(items[(i + items.length) % items.length]);
      event.preventDefault();
    } else if (event.key === "Enter") {
      event.preventDefault();
      var create = popover.querySelector("[data-new=typed]");
      choose(active || (create.hidden ? null : create));
    } else if (/^[1-9]$/.test(event.key) && !input.value && plain) {
      event.preventDefault();
      choose(popover.querySelector('#code-choices [data-shortcut="' + event.key + '"]'));
    } else if (!inInput && event.key.length === 1 && plain) {
      input.focus({ preventScroll: true }); // the key lands in the filter box
    }
  }

  function inspectAtCaret(event) {
    var mark = markOf(window.getSelection().focusNode);
    if (!mark) return;
    event.preventDefault();
    inspect(mark.getAttribute("data-codings"), true);
  }

  // After a click: the selection may collapse only once the mouse is released.
  function afterClick(event) {
    var sel = window.getSelection();
    if (!live()) return;
    if (!sel.isCollapsed) { if (popover && root.contains(sel.anchorNode)) open(false); return; }
    var mark = event.target.closest && event.target.closest("#transcript mark[data-codings]");
    var stripe = event.target.closest && event.target.closest("#transcript .stripe[data-coding]");
    if (mark) inspect(mark.getAttribute("data-codings"));
    else if (stripe) inspect(stripe.getAttribute("data-coding"));
    if (popover && !popover.hidden && !popover.contains(event.target)) close();
  }

  /* Links from excerpts, reviews and search open the page at "?at=start-end": scroll there and
   * light the passage up for a few seconds. */
  function showPassage(at) {
    var bounds = /^(\d+)-(\d+)$/.exec(at || "");
    var range = bounds && O.rangeToDom(root, parseInt(bounds[1], 10), parseInt(bounds[2], 10));
    if (!range) return;
    elementOf(range.startContainer).scrollIntoView({ block: "center" });
    if (!window.CSS || !CSS.highlights) return;
    CSS.highlights.set("found-passage", new Highlight(range));
    window.setTimeout(function () { CSS.highlights.delete("found-passage"); }, 4000);
  }

  var pressedAt = null;
  document.addEventListener("mousedown", function (event) { pressedAt = [event.clientX, event.clientY]; });
  document.addEventListener("mouseup", function (event) {
    if (!live() || (popover && popover.contains(event.target))) return;
    var sel = window.getSelection();
    var still = pressedAt && Math.abs(event.clientX - pressedAt[0]) < 4 && Math.abs(event.clientY - pressedAt[1]) < 4;
    // A drag (or a double click's word): open at once, so that a shortcut pressed right after the
    // release finds the popover open. Timers and input events are not ordered between them.
    if (popover && !sel.isCollapsed && root.contains(sel.anchorNode) && (!still || event.detail > 1)) { open(false); return; }
    // A click: the selection may collapse only after the release.
    window.setTimeout(function () { afterClick(event); }, 0);
  });
  // Shift+arrows refine a mouse selection while the popover is open.
  document.addEventListener("selectionchange", function () {
    if (canCode() && !popover.hidden && document.activeElement !== input && takeSelection()) { place(); paint(); }
  });
  document.addEventListener("keydown", onKey);
  document.addEventListener("input", function (event) { if (canCode() && event.target === input) filter(); });
  document.addEventListener("mousemove", function (event) {
    var li = event.target.closest && event.target.closest("#code-choices li");
    if (li && li !== active) setActive(li);
  });
  document.addEventListener("click", function (event) {
    if (!canCode()) return;
    var option = event.target.closest("#code-choices li[role=option], #code-popover .new-code");
    if (option) { choose(option); return; }
    // A code's apply button in the codebook sidebar applies it to the pending passage.
    var apply = event.target.closest(".code-apply[data-code-id]");
    if (!apply || event.detail > 1) return; // a double click applies once

    if (!pending && !takeSelection()) { say(root.getAttribute("data-need-selection"), true); return; }
    choose(popover.querySelector('#code-choices li.all[data-code="' + apply.getAttribute("data-code-id") + '"]'));
  });
  document.addEventListener("change", function (event) {
    if (!live()) return;
    if (event.target.id === "stripes-on") {
      localStorage.setItem("verbatim:stripes", event.target.checked ? "on" : "off");
      S.show(event.target.checked);
    } else if (event.target.id === "stripes-coder" || event.target.id === "stripes-code") {
      S.filter(document.getElementById("stripes-coder").value, document.getElementById("stripes-code").value);
    }
  });
  document.addEventListener("htmx:configRequest", function (event) {
    if (!canCode()) return;
    var elt = event.detail.elt;
    // Undo sends this tab's last action; with none, nothing is sent.
    if (elt.id === "undo") {
      var stack = undoStack();
      if (!stack.length) { event.preventDefault(); say(elt.getAttribute("data-nothing"), true); return; }
      event.detail.parameters.group = stack[stack.length - 1].group;
      return;
    }
    // Inspector buttons that act on the pending passage ("use the selection as new boundaries").
    if (!elt.hasAttribute("data-use-selection")) return;
    if (!pending && !takeSelection()) {
      event.preventDefault();
      say(root.getAttribute("data-need-selection"), true);
      return;
    }
    event.detail.parameters.start = pending.start;
    event.detail.parameters.end = pending.end;
  });
  document.addEventListener("coding-done", function (event) {
    var stack = undoStack();
    stack.push({ group: event.detail.group, label: event.detail.label });
    saveUndo(stack);
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    if (!canCode() || !event.detail.successful) return;
    if (event.detail.elt.id === "undo") { saveUndo(undoStack().slice(0, -1)); return; }
    if (event.detail.elt !== form) return;
    input.value = "";
    filter();
    input.focus({ preventScroll: true });
  });
  // Swaps happen in one task, between these two events: no key press can fall in between.
  document.addEventListener("htmx:beforeSwap", keep);
  document.addEventListener("htmx:afterSwap", function () {
    restore();
    // A new code list (the codebook changed): the active option must be one of the new ones.
    if (canCode() && !popover.hidden && active && !active.isConnected) filter();
  });
  document.addEventListener("htmx:afterSettle", function () { if (canCode() && pending && !popover.hidden) { paint(); place(); } });
  // Back to a page htmx had kept: its elements are new, the pending passage is gone.
  document.addEventListener("htmx:historyRestore", function () { bind(); });
  document.addEventListener("htmx:responseError", function (event) {
    if (!live()) return;
    var code = event.detail.xhr.status;
    if (code === 401) return; // the session dialog (static/verbatim.js) takes it from here
    say(root.getAttribute(code === 404 ? "data-gone" : code === 403 ? "data-forbidden" : "data-failed"), true);
  });
  document.addEventListener("htmx:sendError", function () { if (live()) say(root.getAttribute("data-offline"), true); });

  document.addEventListener("DOMContentLoaded", function () {
    if (!live()) return;
    showPassage(new URLSearchParams(window.location.search).get("at"));
    var target = /^#coding-(\d+)$/.exec(window.location.hash);
    var mark = target && root.querySelector('mark[data-codings~="' + target[1] + '"]');
    if (mark) {
      mark.scrollIntoView({ block: "center" });
      mark.classList.add("flash");
      inspect(target[1]);
    }
  });
})();
