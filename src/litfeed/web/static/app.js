// litfeed — progressive enhancement. Every action is a plain form POST that works without this
// file; here the same forms are sent with fetch (Accept: application/json) so they act at once,
// and desktop readers get keyboard shortcuts (press ? for the list).
"use strict";

(function () {
  var toastTimer = null;

  function toast(message) {
    var el = document.querySelector(".toast");
    if (!el) return;
    el.textContent = message;
    el.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { el.hidden = true; }, 2600);
  }

  function blocksFor(pmid) {
    return document.querySelectorAll('[data-actions][data-pmid="' + CSS.escape(pmid) + '"]');
  }

  function setPressed(el, pressed) {
    el.setAttribute("aria-pressed", pressed ? "true" : "false");
  }

  function setLabel(button, text) {
    var label = button.querySelector(".act-label");
    if (label) label.textContent = text;
  }

  // --- state updates from the JSON answers -----------------------------------------------------
  function applyReaction(pmid, reaction, reason) {
    blocksFor(pmid).forEach(function (block) {
      var like = block.querySelector('[data-act="like"]');
      var dislike = block.querySelector('[data-act="dislike"]');
      if (like) {
        setPressed(like, reaction === "like");
        like.value = reaction === "like" ? "none" : "like";
        setLabel(like, reaction === "like" ? "Liked" : "Like");
      }
      if (dislike) {
        setPressed(dislike, reaction === "dislike");
        dislike.value = reaction === "dislike" ? "none" : "dislike";
        setLabel(dislike, reaction === "dislike" ? "Disliked" : "Dislike");
      }
      var reasons = block.querySelector(".reasons");
      if (reasons) {
        reasons.hidden = reaction !== "dislike";
        reasons.querySelectorAll("[data-reason]").forEach(function (chip) {
          var on = reaction === "dislike" && chip.dataset.reason === reason;
          setPressed(chip, on);
          chip.value = on ? "" : chip.dataset.reason;
        });
      }
    });
  }

  function applyCollections(pmid, names) {
    blocksFor(pmid).forEach(function (block) {
      var save = block.querySelector('[data-act="save"]');
      if (save) {
        setPressed(save, names.length > 0);
        setLabel(save, names.length > 0 ? "Saved" : "Save");
      }
      var op = block.querySelector('input[name="op"]');
      if (op) op.value = names.indexOf("Saved") >= 0 ? "unsave" : "save";
      var options = block.querySelector("[data-picker-options]");
      if (options) {
        names.forEach(function (name) {
          var exists = Array.prototype.some.call(
            options.querySelectorAll('input[name="collection"]'),
            function (box) { return box.value === name; });
          if (!exists) {
            var label = document.createElement("label");
            label.className = "check";
            var box = document.createElement("input");
            box.type = "checkbox";
            box.name = "collection";
            box.value = name;
            var text = document.createElement("span");
            text.textContent = name;
            label.append(box, " ", text);
            options.append(label);
          }
        });
        options.querySelectorAll('input[name="collection"]').forEach(function (box) {
          box.checked = names.indexOf(box.value) >= 0;
        });
        var fresh = block.querySelector('input[name="new_collection"]');
        if (fresh) fresh.value = "";
      }
    });
  }

  var handlers = {
    reaction: function (data) {
      applyReaction(data.pmid, data.reaction, data.reason);
    },
    collections: function (data) {
      applyCollections(data.pmid, data.collections);
      toast(data.collections.length ? "Saved in " + data.collections.join(", ") : "Removed from saved papers");
    },
    quicksave: function (data) {
      applyCollections(data.pmid, data.collections);
      toast(data.collections.indexOf("Saved") >= 0 ? "Saved" : "Removed from “Saved”");
    },
    note: function (data, form) {
      var status = form.querySelector(".note-status");
      if (status) status.textContent = data.note ? "Note saved" : "Note cleared";
    },
  };

  // --- sending forms ---------------------------------------------------------------------------
  function send(form, submitter) {
    var body = new FormData(form);
    if (submitter && submitter.name) body.set(submitter.name, submitter.value);
    form.setAttribute("aria-busy", "true");
    return fetch(form.getAttribute("action"), {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    }).then(function (response) {
      if (response.status === 401) {
        window.location.href = "/login?next=" + encodeURIComponent(location.pathname + location.search);
        return null;
      }
      return response.json().then(function (data) {
        if (!response.ok) throw new Error(data.message || "Something went wrong");
        return data;
      });
    }).then(function (data) {
      if (data) handlers[form.dataset.async](data, form);
    }).catch(function (error) {
      toast(error.message || "Network problem: nothing was changed");
    }).finally(function () {
      form.removeAttribute("aria-busy");
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.dataset.async || !window.fetch) return;
    event.preventDefault();
    var submitter = event.submitter;
    send(form, submitter).then(function () {
      if (submitter && submitter.hasAttribute("data-picker-done")) {
        var picker = form.closest("details");
        if (picker) picker.open = false;
      }
    });
  });

  // ticking a collection in the picker saves at once
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (box instanceof HTMLInputElement && box.name === "collection" && box.form &&
        box.form.dataset.async === "collections") {
      send(box.form, null);
    }
  });

  // close an open picker when tapping elsewhere
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details[data-picker][open]").forEach(function (picker) {
      if (!picker.contains(event.target)) picker.open = false;
    });
  });

  // --- keyboard ----------------------------------------------------------------------------------
  var current = -1;

  function items() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-item]"));
  }

  function select(index) {
    var list = items();
    if (!list.length) return;
    current = Math.max(0, Math.min(index, list.length - 1));
    list.forEach(function (item, i) { item.classList.toggle("is-current", i === current); });
    var item = list[current];
    item.scrollIntoView({ block: "nearest" });
    var link = item.querySelector("[data-item-link]");
    if (link) link.focus({ preventScroll: true });
  }

  // the paper the shortcut is for: the selected one in a list, else the page's own paper
  function target() {
    var list = items();
    if (current >= 0 && list[current]) return list[current];
    var focused = document.activeElement && document.activeElement.closest("[data-item]");
    if (focused) return focused;
    return list.length ? null : document.querySelector(".paper-actions");
  }

  function press(act) {
    var scope = target();
    if (!scope) return;
    var button = scope.querySelector('[data-actions] [data-act="' + act + '"]');
    if (!button) return;
    if (act === "save" && button.tagName === "SUMMARY") {
      // on the paper page: toggle "Saved" in the picker and submit it
      var picker = button.closest("details");
      var box = picker.querySelector('input[name="collection"][value="Saved"]');
      if (box) {
        box.checked = !box.checked;
        send(box.form, null);
      }
      return;
    }
    button.click();
  }

  function openFullText() {
    // on the paper page the full-text block's big button is the best link (it knows Unpaywall)
    var best = items().length ? null : document.querySelector("[data-fulltext-best]");
    if (best) {
      window.open(best.href, "_blank", "noopener,noreferrer");
      return;
    }
    var scope = target();
    if (!scope) return;
    var block = scope.matches("[data-fulltext]") ? scope : scope.querySelector("[data-fulltext]");
    if (block) {
      window.open(block.dataset.fulltext, "_blank", "noopener,noreferrer");
    } else if (scope.dataset && scope.dataset.url) {
      window.location.href = scope.dataset.url;
    }
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    var el = event.target;
    if (el instanceof HTMLElement && (el.isContentEditable ||
        /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName))) return;
    var help = document.getElementById("help");
    if (help && help.open) return;
    switch (event.key) {
      case "j": select(current + 1); break;
      case "k": select(current < 0 ? 0 : current - 1); break;
      case "l": press("like"); break;
      case "d": press("dislike"); break;
      case "s": press("save"); break;
      case "o": openFullText(); break;
      case "?": if (help && help.showModal) help.showModal(); break;
      default: return;
    }
    event.preventDefault();
  });

  // --- copy buttons (citations): the text is selectable without them ----------------------------
  if (navigator.clipboard && window.isSecureContext) {
    document.querySelectorAll("[data-copy]").forEach(function (button) { button.hidden = false; });
  }
  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element && event.target.closest("[data-copy]");
    if (!button || !navigator.clipboard) return;
    var source = document.getElementById(button.dataset.copy);
    if (!source) return;
    var text = "value" in source ? source.value : source.innerText;
    navigator.clipboard.writeText(text.trim()).then(function () { toast("Copied"); },
      function () { toast("Could not copy; select the text instead"); });
  });

  // --- installable app -------------------------------------------------------------------------
  if ("serviceWorker" in navigator && window.isSecureContext) {
    window.addEventListener("load", function () {
      navigator.serviceWorker.register("/sw.js").catch(function () { /* offline page only */ });
    });
  }
})();
