/* Verbatim, every page: the few behaviours HTML and htmx attributes cannot express, kept out of the
 * templates so that the Content-Security-Policy can refuse inline scripts and handlers.
 *
 * - CSRF: each htmx request carries the current token, read from the cookie (it changes when the
 *   user signs in again), else from the page.
 * - An expired session: the server answers an htmx action 401 (verbatim/middleware.py); the page
 *   stays as it is and a sign-in dialog opens, then sends the action again.
 * - Drafts: what is typed in a form's text area is kept in sessionStorage until the form is sent
 *   successfully, so a lost session, a reload or a swapped fragment loses no memo.
 * - Small things: select[data-autosubmit], form[data-ctrl-enter], a[data-escape-cancels], the narrow screen's menu button, disclosures
 *   (button[aria-controls][aria-expanded][data-disclosure]), checkboxes that check a group
 *   (input[data-check-all=NAME]), <details data-focus-on-open> that focus their field. */
(function () {
  "use strict";

  function csrfToken() {
    var match = /(?:^|;\s*)csrftoken=([^;]+)/.exec(document.cookie);
    if (match) return decodeURIComponent(match[1]);
    var meta = document.querySelector("meta[name=csrf-token]");
    return meta ? meta.content : "";
  }

  document.addEventListener("htmx:configRequest", function (event) {
    event.detail.headers["X-CSRFToken"] = csrfToken();
  });

  /* Expired session. */
  var retry = null;
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr, dialog = document.getElementById("session-dialog");
    if (xhr.status !== 401 || !dialog) return;
    var config = event.detail.requestConfig;
    retry = { verb: config.verb.toUpperCase(), path: config.path, source: event.detail.elt };
    dialog.querySelector(".session-error").hidden = true;
    if (!dialog.open) dialog.showModal();
    dialog.querySelector("[name=password]").focus();
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList.contains("session-login")) return;
    var dialog = form.closest("dialog");
    if (!event.submitter || event.submitter.value !== "login") { retry = null; return; } // closes
    event.preventDefault();
    var body = new FormData(form);
    body.append("csrfmiddlewaretoken", csrfToken());
    fetch(form.getAttribute("action"), { method: "POST", body: body, credentials: "same-origin" })
      .then(function (response) {
        // Django's login view redirects on success, and answers its form again on failure.
        if (!response.redirected) throw new Error("refused");
        form.querySelector("[name=password]").value = "";
        dialog.close();
        if (retry && document.body.contains(retry.source)) {
          htmx.ajax(retry.verb, retry.path, { source: retry.source });
        }
        retry = null;
      })
      .catch(function () { form.querySelector(".session-error").hidden = false; });
  });

  /* Drafts of text areas, per page, form and field. */
  function draftKey(area) {
    var form = area.form;
    if (!form || !area.name) return null;
    return "draft:" + location.pathname + ":" + (form.getAttribute("hx-post") || form.getAttribute("action") || "") + ":" + area.name;
  }
  function restoreDrafts(root) {
    Array.prototype.forEach.call(root.querySelectorAll("form textarea[name]"), function (area) {
      var key = draftKey(area), saved = key && sessionStorage.getItem(key);
      if (saved && !area.value) area.value = saved;
    });
  }
  function forgetDrafts(form) {
    Array.prototype.forEach.call(form.querySelectorAll("textarea[name]"), function (area) {
      var key = draftKey(area);
      if (key) sessionStorage.removeItem(key);
    });
  }
  document.addEventListener("input", function (event) {
    var area = event.target;
    if (area.tagName !== "TEXTAREA") return;
    var key = draftKey(area);
    if (!key) return;
    if (area.value) sessionStorage.setItem(key, area.value);
    else sessionStorage.removeItem(key);
  });
  // Before the swap: the fragment that comes back must not get the sent text back as a draft.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var source = event.detail.requestConfig && event.detail.requestConfig.elt; // elt is the target
    var form = source && source.closest && source.closest("form");
    var status = event.detail.xhr.status;
    if (form && status >= 200 && status < 300) forgetDrafts(form);
  });
  document.addEventListener("submit", function (event) {
    // A plain (non-htmx) form leaves the page: its draft goes with it.
    var form = event.target;
    if (!form.hasAttribute("hx-post") && !form.hasAttribute("hx-get") && !form.closest("dialog")) forgetDrafts(form);
  });

  /* Filter forms (form[data-one-request]): one request per change. A change, then Enter (which
   * submits) would ask twice for the same thing: the second, identical, is not sent. An attribute
   * condition half-written (an attribute chosen, its value not typed yet) is left out of what is
   * sent, so no error shows before the value is there: its fields lose their name for that moment. */
  var lastQuery = new WeakMap();
  // What the form asks for: its non-empty fields (an empty one filters nothing).
  function queryOf(form) {
    var query = new URLSearchParams();
    new FormData(form).forEach(function (value, name) { if (String(value).trim()) query.append(name, value); });
    return query.toString();
  }
  function holdHalfRows(event) {
    var form = event.target.form || event.target;
    if (!form || !form.hasAttribute || !form.hasAttribute("data-one-request")) return;
    Array.prototype.forEach.call(form.querySelectorAll(".attribute-row"), function (row) {
      var attribute = row.querySelector("[name=attribute]"), value = row.querySelector("[name=value]");
      if (!attribute || !value || !attribute.value || value.value.trim()) return;
      [attribute, value].forEach(function (field) {
        field.setAttribute("data-held-name", field.name);
        field.removeAttribute("name");
      });
    });
    setTimeout(function () { releaseRows(form); }, 0);
  }
  function releaseRows(form) {
    Array.prototype.forEach.call(form.querySelectorAll("[data-held-name]"), function (field) {
      field.name = field.getAttribute("data-held-name");
      field.removeAttribute("data-held-name");
    });
  }
  document.addEventListener("change", holdHalfRows, true); // before htmx reads the form
  document.addEventListener("submit", holdHalfRows, true);
  document.addEventListener("htmx:configRequest", function (event) {
    var form = event.detail.elt;
    if (!form.hasAttribute || !form.hasAttribute("data-one-request")) return;
    var query = queryOf(form);
    releaseRows(form);
    if (lastQuery.get(form) === query) { event.preventDefault(); return; }
    lastQuery.set(form, query);
  });
  function rememberForms(root) {
    Array.prototype.forEach.call(root.querySelectorAll("form[data-one-request]"), function (form) {
      lastQuery.set(form, queryOf(form));
    });
  }
  document.addEventListener("htmx:historyRestore", function () { lastQuery = new WeakMap(); rememberForms(document); });

  /* Searchable multi-picks: input[data-pick-search] hides the items of its list that do not match
   * (accents and case ignored); what is checked stays. */
  function fold(s) { return s.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase().trim(); }
  document.addEventListener("input", function (event) {
    var box = event.target;
    if (!box.hasAttribute || !box.hasAttribute("data-pick-search")) return;
    var q = fold(box.value), list = document.getElementById(box.getAttribute("aria-controls"));
    Array.prototype.forEach.call(list.children, function (li) {
      var checked = li.querySelector("input:checked");
      li.hidden = !!q && !checked && li.getAttribute("data-search").indexOf(q) < 0;
    });
  });

  /* button[data-add-row=SELECTOR]: a blank copy of the last such row, before the button. */
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button[data-add-row]");
    if (!button) return;
    var rows = button.parentNode.querySelectorAll(button.getAttribute("data-add-row"));
    var copy = rows[rows.length - 1].cloneNode(true);
    Array.prototype.forEach.call(copy.querySelectorAll("input, select"), function (field) { field.value = ""; });
    button.parentNode.insertBefore(copy, button);
    copy.querySelector("select, input").focus();
  });

  /* Small behaviours. */
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches("select[data-autosubmit]")) target.form.requestSubmit();
    var group = target.getAttribute("data-check-all");
    if (group) {
      Array.prototype.forEach.call(document.querySelectorAll("input[form=" + group + "]"), function (box) {
        box.checked = target.checked;
      });
    }
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[aria-controls][aria-expanded]");
    if (!button || !(button.classList.contains("menu-toggle") || button.hasAttribute("data-disclosure"))) return;
    var open = button.getAttribute("aria-expanded") !== "true";
    button.setAttribute("aria-expanded", String(open));
    var controlled = document.getElementById(button.getAttribute("aria-controls"));
    if (controlled) controlled.classList.toggle("closed", !open);
  });

  // form[data-ctrl-enter]: Ctrl+Enter (⌘+Enter) sends it; a[data-escape-cancels]: Escape in its form.
  document.addEventListener("keydown", function (event) {
    var form = event.target.form || (event.target.closest && event.target.closest("form"));
    if (!form) return;
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && form.hasAttribute("data-ctrl-enter")) {
      event.preventDefault();
      form.requestSubmit();
    } else if (event.key === "Escape") {
      var cancel = form.querySelector("a[data-escape-cancels]");
      if (cancel) { event.preventDefault(); cancel.click(); }
    }
  });

  document.addEventListener("toggle", function (event) {
    var details = event.target;
    if (details.open && details.hasAttribute && details.hasAttribute("data-focus-on-open")) {
      var field = details.querySelector("textarea, input:not([type=hidden])");
      if (field) field.focus();
    }
  }, true);

  function ready(root) { restoreDrafts(root); rememberForms(root); }
  document.addEventListener("DOMContentLoaded", function () { ready(document); });
  document.addEventListener("htmx:load", function (event) { ready(event.detail.elt); });
})();
