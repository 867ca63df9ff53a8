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

  // --- feed controls: "Not interested in <topic>", follow, the settings' feed section --------
  function keyOf(text) {
    return String(text).trim().split(/\s+/).join(" ").toLowerCase();
  }

  // a mute / follow button: pressed state, its label, and the op it sends next
  function setToggle(button, on) {
    var base = button.value.replace(/^un/, "");
    button.value = on ? "un" + base : base;
    setPressed(button, on);
    var label = on ? button.dataset.on : button.dataset.off;
    if (label) button.textContent = label;
  }

  function togglesFor(selector, on, chipClass) {
    document.querySelectorAll(selector).forEach(function (form) {
      var button = form.querySelector('button[name="op"]');
      if (button) setToggle(button, on);
      var chip = form.closest(".chip-menu");
      var summary = chip && chip.querySelector("summary");
      if (summary) summary.classList.toggle(chipClass, on);
    });
  }

  function closeMenu(form) {
    var menu = form.closest("details");
    if (menu) menu.open = false;
  }

  // the cards of this page the feed would no longer show: the topic among their MeSH terms,
  // or in their title (as the server matches a muted topic)
  function cardsAbout(key) {
    return Array.prototype.filter.call(document.querySelectorAll("[data-item]"), function (card) {
      var menu = card.querySelector("[data-feed-menu]");
      if (!menu || card.hidden) return false;
      var topics = (menu.dataset.muteTopics || "").split("|");
      var title = card.querySelector(".card-title");
      return topics.indexOf(key) >= 0 || (title && keyOf(title.textContent).indexOf(key) >= 0);
    });
  }

  function hideCards(key, topic, form) {
    var cards = cardsAbout(key);
    if (!cards.length) return;
    cards.forEach(function (card) {
      card.hidden = true;
      card.dataset.mutedBy = key;
    });
    // in the first card's place: what happened, and an Undo (the same form, sending unmute)
    var note = document.createElement("li");
    note.className = "card card-undo";
    note.dataset.undoFor = key;
    note.setAttribute("role", "status");
    var text = document.createElement("p");
    text.textContent = cards.length === 1 ?
      "Hidden: a paper about “" + topic + "”. Your feed will not show it again." :
      "Hidden: " + cards.length + " papers about “" + topic + "”. Your feed will not show them again.";
    var undo = form.cloneNode(true);
    var button = undo.querySelector('button[name="op"]');
    button.className = "btn btn-small";
    button.dataset.on = "Undo";
    setToggle(button, true);
    note.append(text, undo);
    cards[0].before(note);
  }

  function showCards(key) {
    document.querySelectorAll("[data-muted-by]").forEach(function (card) {
      if (card.dataset.mutedBy === key) {
        card.hidden = false;
        delete card.dataset.mutedBy;
      }
    });
    document.querySelectorAll("[data-undo-for]").forEach(function (note) {
      if (note.dataset.undoFor === key) note.remove();
    });
  }

  function showCopyButtons(root) {
    if (navigator.clipboard && window.isSecureContext) {
      root.querySelectorAll("[data-copy]").forEach(function (button) { button.hidden = false; });
    }
  }

  // the settings page's "Feed preferences" section, rendered again by the server
  function refreshPrefs() {
    var section = document.querySelector("[data-feed-prefs]");
    if (!section || !window.DOMParser) return;
    var active = document.activeElement;
    var addForm = active && section.contains(active) && active.form;
    var refocus = addForm && addForm.dataset.followAdd ?
      '[data-follow-add="' + addForm.dataset.followAdd + '"] input[type="text"]' :
      addForm && addForm.hasAttribute("data-mute-add") ? "[data-mute-add] input[type=\"text\"]" : null;
    var open = section.querySelector("details.specialties");
    var wasOpen = open && open.open;
    fetch(location.pathname, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, "text/html")
          .querySelector("[data-feed-prefs]");
        if (!fresh) return;
        fresh = document.importNode(fresh, true);
        var details = fresh.querySelector("details.specialties");
        if (details && open) details.open = wasOpen;
        section.replaceWith(fresh);
        showCopyButtons(fresh);
        var field = refocus && fresh.querySelector(refocus);
        if (field) field.focus();
      })
      .catch(function () { /* the change is saved; the list shows it on the next load */ });
  }

  function applyMute(data, form) {
    togglesFor('form[data-mute-key="' + CSS.escape(data.key) + '"]', data.muted, "muted");
    if (data.muted) {
      closeMenu(form);
      hideCards(data.key, data.topic, form);
      toast("You will not see papers about “" + data.topic + "”");
    } else if (form.closest(".feed-undo")) {
      var params = new URLSearchParams(location.search);  // back to the feed, with the topic
      params.delete("muted");
      window.location.assign(location.pathname + (params.toString() ? "?" + params : ""));
      return;
    } else {
      showCards(data.key);
      toast("“" + data.topic + "” is back in your feed");
    }
    refreshPrefs();
  }

  function applyFollow(data, form) {
    var selector = 'form[data-follow-kind="' + CSS.escape(data.kind) + '"][data-follow-key="' +
      CSS.escape(data.key) + '"]';
    togglesFor(selector, data.following, "followed");
    toast(data.following ? "Following " + data.name + " in your feed" : "Stopped following " + data.name);
    if (form.dataset.followAdd) form.reset();
    refreshPrefs();
  }

  var handlers = {
    mute: applyMute,
    follow: applyFollow,
    prefs: function () {
      toast("Feed preferences saved");
      refreshPrefs();
    },
    atom: function (data) {
      var field = document.querySelector("[data-atom-url]");
      if (field) field.value = data.url;
      toast("New feed URL: the old one no longer works");
    },
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

  // close an open picker or menu when tapping elsewhere
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details[data-picker][open], details[data-feed-menu][open], " +
                              "details.chip-menu[open]").forEach(function (picker) {
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
  showCopyButtons(document);
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
