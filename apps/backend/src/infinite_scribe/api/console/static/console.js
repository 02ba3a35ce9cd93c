/* The console's own script (no inline scripts under the CSP): the draft renderer for the
   session stream, what the writer typed kept across a card's refresh, and the Alpine
   component behind two-step bulk actions. */
(function () {
  "use strict";

  /* `draft` events carry what a model has written so far for one task. Whether a message
     holds the whole text so far or only the new part, the block ends up with the full text:
     a text that extends the one so far replaces it, anything else is appended. A model writes
     JSON: the writer reads its string values, one per line, as they grow (issue 29). Rendered
     with textContent only (model output is never HTML). */
  var rawText = {};
  /* Tasks whose proposal landed: a draft that arrives after it (drafts and events travel by
     different paths) is not shown again. */
  var finished = {};

  function readable(raw) {
    var trimmed = raw.replace(/^\s+/, "");
    if (trimmed.charAt(0) !== "{" && trimmed.charAt(0) !== "[") { return raw; }
    var values = [];
    var pattern = /"((?:[^"\\]|\\.)*)"\s*:\s*"((?:[^"\\]|\\.)*)/g;
    var match;
    while ((match = pattern.exec(trimmed)) !== null) {
      if (match[1] === "stage" || match[1] === "source") { continue; }
      var value = match[2].replace(/\\$/, "");
      try { value = JSON.parse('"' + value + '"'); } catch (error) { /* shown as written */ }
      values.push(value);
    }
    return values.join("\n");
  }

  function emptyNote(container) {
    var note = document.createElement("p");
    note.className = "muted";
    note.setAttribute("data-drafts-empty", "");
    note.textContent = container.getAttribute("data-empty-text") || "";
    return note;
  }

  function renderDraft(container, raw) {
    var data;
    try { data = JSON.parse(raw); } catch (error) { data = { text: String(raw) }; }
    var task = String(data.task_id || data.taskId || "draft");
    if (finished[task]) { return; }
    var text = typeof data.text === "string" ? data.text
      : typeof data.delta === "string" ? data.delta : JSON.stringify(data);
    var empty = container.querySelector("[data-drafts-empty]");
    if (empty) { empty.remove(); }
    var block = null;
    container.querySelectorAll("[data-draft]").forEach(function (el) {
      if (el.getAttribute("data-task") === task) { block = el; }
    });
    if (!block) {
      block = document.createElement("article");
      block.className = "draft";
      block.setAttribute("data-draft", "");
      block.setAttribute("data-task", task);
      var title = document.createElement("small");
      title.className = "muted";
      title.textContent = container.getAttribute("data-writing-text") || "";
      var body = document.createElement("pre");
      block.appendChild(title);
      block.appendChild(body);
      container.appendChild(block);
      rawText[task] = "";
    }
    var shown = rawText[task] || "";
    rawText[task] = text.indexOf(shown) === 0 ? text : shown + text;
    var shownText = readable(rawText[task]);
    block.querySelector("pre").textContent = shownText;
    /* Progress (decision 4003): how much the model has written so far. */
    block.setAttribute("data-chars", String(shownText.length));
    block.querySelector("small").textContent = (container.getAttribute("data-writing-text") || "")
      + " " + shownText.length + " " + (container.getAttribute("data-chars-text") || "");
    if (data.sequence !== undefined) { block.setAttribute("data-sequence", String(data.sequence)); }
  }

  /* A proposal (or a failure) ends its task's draft: the proposal shows in the panel. */
  function clearDrafts(container, raw) {
    var event;
    try { event = JSON.parse(raw); } catch (error) { return; }
    var type = String(event.event_type || "");
    if (!/Proposed$|Failed$|Cancelled$/.test(type)) { return; }
    var task = event.payload && event.payload.task_id ? String(event.payload.task_id) : null;
    if (task !== null) { finished[task] = true; }
    container.querySelectorAll("[data-draft]").forEach(function (el) {
      if (task === null || el.getAttribute("data-task") === task) {
        delete rawText[el.getAttribute("data-task")];
        el.remove();
      }
    });
    if (!container.querySelector("[data-draft]") && !container.querySelector("[data-drafts-empty]")) {
      container.appendChild(emptyNote(container));
    }
  }

  document.addEventListener("htmx:sseBeforeMessage", function (event) {
    var target = event.target;
    if (target && target.hasAttribute && target.hasAttribute("data-drafts")) {
      event.preventDefault(); /* never swap stream data in as HTML */
      renderDraft(target, event.detail.data);
    } else if (target && target.hasAttribute && target.hasAttribute("data-draft-clearer")) {
      event.preventDefault();
      clearDrafts(document.getElementById("drafts"), event.detail.data);
    }
  });

  /* What the writer typed survives a live card's refresh: any event on the stream renders the
     card again, its forms with it. A field the writer changed is put back into the same field
     of the new card (the same form: its action and hidden inputs, the action id aside) while
     the server still shows what the writer started from; a new draft the writer asked for
     replaces it. */
  var FIELDS = "textarea, input:not([type]), input[type=text]";
  var typed = new WeakMap();

  function fieldKey(field) {
    var form = field.form;
    if (!form || !field.name) { return null; }
    var key = [form.getAttribute("action") || "", field.name];
    form.querySelectorAll("input[type=hidden]").forEach(function (hidden) {
      if (hidden.name !== "action_id") { key.push(hidden.name + "=" + hidden.value); }
    });
    return key.join("|");
  }

  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    if (!target || !target.querySelectorAll) { return; }
    var kept = {};
    target.querySelectorAll(FIELDS).forEach(function (field) {
      var key = fieldKey(field);
      if (key !== null && field.value !== field.defaultValue) {
        kept[key] = { from: field.defaultValue, value: field.value };
      }
    });
    typed.set(target, kept);
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    var kept = target ? typed.get(target) : null;
    if (!kept) { return; }
    typed.delete(target);
    target.querySelectorAll(FIELDS).forEach(function (field) {
      var was = kept[fieldKey(field)];
      if (was && field.defaultValue === was.from) { field.value = was.value; }
    });
  });

  /* The working banner's "asked N s ago" counts on from the value the panel was rendered
     with (the server's clock, not the browser's). */
  var seenAt = new WeakMap();
  setInterval(function () {
    document.querySelectorAll("[data-elapsed]").forEach(function (el) {
      if (!seenAt.has(el)) { seenAt.set(el, Date.now()); }
      var start = parseInt(el.getAttribute("data-elapsed"), 10) || 0;
      el.textContent = String(start + Math.floor((Date.now() - seenAt.get(el)) / 1000));
    });
  }, 1000);

  document.addEventListener("alpine:init", function () {
    window.Alpine.data("confirmable", function () {
      return {
        asking: false,
        get idle() { return !this.asking; },
        ask: function () { this.asking = true; },
        cancel: function () { this.asking = false; }
      };
    });
  });
})();
