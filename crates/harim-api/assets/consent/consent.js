/*
 * harim consent banner, served at GET /shops/{slug}/consent.js. harim puts one line before this
 * file, `var HARIM_CONSENT = {...};`, with the shop's endpoint, stylesheet, policy version and
 * URL, languages, purposes and texts. Plain ES2017, no dependencies. The DOM is built with
 * createElement and textContent only; layout comes from the stylesheet's classes (no inline
 * styles), so a strict CSP on the shop's page works. Sets no cookie: the visitor id, the policy
 * version decided and the choices live in localStorage (harim_visitor, harim_consent_v,
 * harim_consent_choices). See docs/themes.md, "The consent banner".
 */
(function () {
  "use strict";

  // Only set while this script runs for the first time, so read it now.
  const script = document.currentScript;
  const config = typeof HARIM_CONSENT === "object" && HARIM_CONSENT !== null ? HARIM_CONSENT : null;
  if (!config || typeof config.endpoint !== "string") {
    return;
  }
  if (window.harimConsent) {
    return; // the script is included twice: the first copy owns the banner
  }

  const KEY_VISITOR = "harim_visitor";
  const KEY_VERSION = "harim_consent_v";
  const KEY_CHOICES = "harim_consent_choices";
  const PREFIX = "harim-consent";
  const RTL = ["fa", "ar"];

  const root = document.documentElement;
  const version = config.policy_version;
  const purposes = (Array.isArray(config.purposes) ? config.purposes : []).filter(
    (p) => typeof p === "string" && p !== ""
  );
  const languages = (Array.isArray(config.languages) ? config.languages : []).filter(
    (l) => typeof l === "string"
  );
  const texts = config.texts && typeof config.texts === "object" ? config.texts : {};
  const gpc = navigator.globalPrivacyControl === true;

  // --- storage: localStorage may be missing or refuse (private modes, sandboxed frames) -------
  const memory = {};
  const storage = {
    get(key) {
      try {
        const v = window.localStorage.getItem(key);
        return v === null ? memory[key] || null : v;
      } catch (e) {
        return memory[key] || null;
      }
    },
    set(key, value) {
      memory[key] = value;
      try {
        window.localStorage.setItem(key, value);
      } catch (e) {
        // kept for this page only
      }
    },
  };

  function newVisitorId() {
    const bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    let hex = "";
    for (let i = 0; i < bytes.length; i++) {
      hex += (bytes[i] < 16 ? "0" : "") + bytes[i].toString(16);
    }
    return "v_" + hex;
  }

  function visitorId() {
    const stored = storage.get(KEY_VISITOR);
    if (stored && /^v_[0-9a-f]{32}$/.test(stored)) {
      return stored;
    }
    const id = newVisitorId();
    storage.set(KEY_VISITOR, id);
    return id;
  }

  function storedChoices() {
    if (storage.get(KEY_VERSION) !== String(version)) {
      return null;
    }
    try {
      const c = JSON.parse(storage.get(KEY_CHOICES) || "null");
      return c && typeof c === "object" && !Array.isArray(c) ? c : null;
    } catch (e) {
      return null;
    }
  }

  // --- language and texts ---------------------------------------------------------------------
  function firstSubtag(value) {
    return typeof value === "string" ? value.trim().toLowerCase().split(/[-_]/)[0] : "";
  }

  function pickLanguage() {
    const candidates = [
      script ? script.getAttribute("data-lang") : null,
      root.getAttribute("lang"),
    ];
    for (const c of candidates) {
      const wanted = firstSubtag(c);
      const found = languages.find((l) => l.toLowerCase() === wanted);
      if (wanted && found) {
        return found;
      }
    }
    if (typeof config.default_language === "string" && config.default_language !== "") {
      return config.default_language;
    }
    return languages[0] || "en";
  }

  // A published language without texts would show another language's words in the wrong
  // direction: the default language is shown whole instead.
  const picked = pickLanguage();
  const lang = texts[picked] || !texts[config.default_language] ? picked : config.default_language;
  const dir = RTL.includes(firstSubtag(lang)) ? "rtl" : "ltr";

  function text(key, fallback) {
    for (const l of [lang, config.default_language]) {
      const table = texts[l];
      if (table && typeof table[key] === "string" && table[key] !== "") {
        return table[key];
      }
    }
    return fallback;
  }

  // --- purposes -------------------------------------------------------------------------------
  // "analytics:google_analytics" is one service under "analytics".
  function parentOf(purpose) {
    const i = purpose.indexOf(":");
    return i > 0 ? purpose.slice(0, i) : null;
  }

  // The purposes Global Privacy Control refuses: direct marketing, whatever the visitor clicks.
  function isMarketing(purpose) {
    const base = parentOf(purpose) || purpose;
    return base === "marketing" || base.startsWith("marketing_");
  }

  function allowed(purpose) {
    return !(gpc && isMarketing(purpose));
  }

  // --- the stylesheet, loaded once, before the banner is first shown --------------------------
  let stylesheet = null;
  function loadStylesheet() {
    if (stylesheet) {
      return stylesheet;
    }
    stylesheet = new Promise((resolve) => {
      if (typeof config.stylesheet !== "string" || config.stylesheet === "") {
        resolve();
        return;
      }
      const link = document.createElement("link");
      link.rel = "stylesheet";
      link.href = config.stylesheet;
      link.setAttribute("data-harim-consent-stylesheet", "");
      link.addEventListener("load", () => resolve());
      link.addEventListener("error", () => resolve());
      // A slow or blocked stylesheet must not keep the banner away for good.
      window.setTimeout(resolve, 3000);
      (document.head || root).appendChild(link);
    });
    return stylesheet;
  }

  function bodyReady() {
    if (document.body) {
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      document.addEventListener("DOMContentLoaded", () => resolve(), { once: true });
    });
  }

  // --- the banner -----------------------------------------------------------------------------
  let banner = null; // the mounted banner's parts, or null
  let opening = null; // a pending open()

  function el(tag, className, content) {
    const node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (typeof content === "string") {
      node.textContent = content;
    }
    return node;
  }

  function button(action, label) {
    const b = el("button", PREFIX + "__button", label);
    b.type = "button";
    b.setAttribute("data-harim-consent", action);
    return b;
  }

  function build() {
    const section = el("section", PREFIX);
    section.setAttribute("role", "dialog");
    section.setAttribute("aria-modal", "false");
    section.setAttribute("aria-labelledby", PREFIX + "-title");
    section.setAttribute("aria-describedby", PREFIX + "-body");
    section.setAttribute("lang", lang);
    section.setAttribute("dir", dir);

    const title = el("h2", PREFIX + "__title", text("title", ""));
    title.id = PREFIX + "-title";
    const body = el("p", PREFIX + "__body", text("body", ""));
    body.id = PREFIX + "-body";
    section.appendChild(title);
    section.appendChild(body);

    if (gpc) {
      section.appendChild(el("p", PREFIX + "__gpc", text("gpc", "")));
    }

    if (typeof config.policy_url === "string" && config.policy_url !== "") {
      const policy = el("p", PREFIX + "__policy");
      const link = el("a", PREFIX + "__link", text("policy", config.policy_url));
      const sep = config.policy_url.indexOf("?") === -1 ? "?" : "&";
      link.href = config.policy_url + sep + "lang=" + encodeURIComponent(lang);
      link.hreflang = lang;
      policy.appendChild(link);
      section.appendChild(policy);
    }

    const actions = el("div", PREFIX + "__actions");
    const accept = button("accept", text("accept", "accept"));
    const refuse = button("refuse", text("refuse", "refuse"));
    const customise = button("customise", text("customise", "customise"));
    actions.appendChild(accept);
    actions.appendChild(refuse);
    actions.appendChild(customise);
    section.appendChild(actions);

    // Customise: one unchecked checkbox per purpose (or the visitor's earlier choice for this
    // policy version, when the banner is opened again), then save.
    const fieldset = el("fieldset", PREFIX + "__purposes");
    fieldset.id = PREFIX + "-purposes";
    fieldset.hidden = true;
    fieldset.appendChild(el("legend", PREFIX + "__legend", text("customise", "customise")));
    const earlier = storedChoices() || {};
    const boxes = {};
    purposes.forEach((purpose, i) => {
      const sub = parentOf(purpose) ? " " + PREFIX + "__purpose--sub" : "";
      const row = el("div", PREFIX + "__purpose" + sub);
      const box = el("input", PREFIX + "__checkbox");
      box.type = "checkbox";
      box.id = PREFIX + "-purpose-" + i;
      box.name = purpose;
      box.value = "1";
      box.setAttribute("data-harim-purpose", purpose);
      box.checked = allowed(purpose) && earlier[purpose] === true;
      box.disabled = !allowed(purpose);
      const label = el("label", PREFIX + "__label", text("purpose." + purpose, purpose));
      label.htmlFor = box.id;
      row.appendChild(box);
      row.appendChild(label);
      fieldset.appendChild(row);
      boxes[purpose] = box;
    });
    // A service under a purpose needs the purpose: checking one checks its purpose, unchecking a
    // purpose unchecks its services.
    purposes.forEach((purpose) => {
      boxes[purpose].addEventListener("change", () => {
        const parent = parentOf(purpose);
        if (boxes[purpose].checked && parent && boxes[parent] && !boxes[parent].disabled) {
          boxes[parent].checked = true;
        }
        if (!boxes[purpose].checked) {
          purposes
            .filter((p) => parentOf(p) === purpose)
            .forEach((p) => {
              boxes[p].checked = false;
            });
        }
      });
    });
    const save = button("save", text("save", "save"));
    const saveRow = el("div", PREFIX + "__actions " + PREFIX + "__actions--save");
    saveRow.appendChild(save);
    fieldset.appendChild(saveRow);
    section.appendChild(fieldset);

    customise.setAttribute("aria-controls", fieldset.id);
    customise.setAttribute("aria-expanded", "false");

    const status = el("p", PREFIX + "__status");
    status.setAttribute("role", "status");
    section.appendChild(status);

    const parts = { section, accept, refuse, customise, save, fieldset, boxes, status };
    parts.busy = false;

    section.addEventListener("click", (event) => {
      const target =
        event.target instanceof Element ? event.target.closest("button[data-harim-consent]") : null;
      if (!target || !section.contains(target) || parts.busy) {
        return;
      }
      const action = target.getAttribute("data-harim-consent");
      if (action === "customise") {
        const show = fieldset.hidden;
        fieldset.hidden = !show;
        customise.setAttribute("aria-expanded", String(show));
        if (show) {
          const first = purposes.map((p) => boxes[p]).find((b) => !b.disabled);
          (first || save).focus();
        }
      } else if (action === "accept" || action === "refuse" || action === "save") {
        decide(parts, action, target);
      }
    });
    // Escape accepts nothing and closes nothing: the banner stays until a choice is sent.

    return parts;
  }

  function choicesFor(parts, action) {
    const choices = {};
    for (const purpose of purposes) {
      let yes;
      if (action === "accept") {
        yes = true;
      } else if (action === "refuse") {
        yes = false;
      } else {
        yes = parts.boxes[purpose].checked;
      }
      choices[purpose] = yes && allowed(purpose);
    }
    for (const purpose of purposes) {
      const parent = parentOf(purpose);
      if (parent && Object.prototype.hasOwnProperty.call(choices, parent) && !choices[parent]) {
        choices[purpose] = false;
      }
    }
    return choices;
  }

  function setBusy(parts, busy) {
    parts.busy = busy;
    parts.section.setAttribute("aria-busy", String(busy));
    for (const b of [parts.accept, parts.refuse, parts.customise, parts.save]) {
      b.disabled = busy;
    }
  }

  async function decide(parts, action, clicked) {
    const choices = choicesFor(parts, action);
    const payload = {
      visitor_id: window.harimConsent.visitorId,
      choices,
      policy_version: version,
      language: lang,
    };
    setBusy(parts, true);
    parts.status.textContent = "";
    let status = 0;
    try {
      const response = await fetch(config.endpoint, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        credentials: "omit",
        mode: "cors",
        body: JSON.stringify(payload),
      });
      status = response.status;
    } catch (e) {
      status = 0; // network error, CORS refusal, blocked by the page's CSP
    }
    if (status >= 200 && status < 300) {
      storage.set(KEY_VERSION, String(version));
      storage.set(KEY_CHOICES, JSON.stringify(choices));
      close(parts);
      root.dataset.harimConsent = "saved";
      window.dispatchEvent(new CustomEvent("harim:consent", { detail: { choices } }));
      return;
    }
    setBusy(parts, false);
    root.dataset.harimConsent = "error";
    parts.status.textContent = "\u26A0 " + (status ? String(status) : "\u2013");
    if (clicked && document.contains(clicked)) {
      clicked.focus();
    }
  }

  function close(parts) {
    if (parts.section.parentNode) {
      parts.section.parentNode.removeChild(parts.section);
    }
    if (banner === parts) {
      banner = null;
    }
    const back = parts.returnFocus;
    const focusable = back && back !== document.body && typeof back.focus === "function";
    if (focusable && document.contains(back)) {
      back.focus();
    }
  }

  function open() {
    if (banner) {
      banner.accept.focus();
      return Promise.resolve();
    }
    if (opening) {
      return opening;
    }
    const returnFocus = document.activeElement;
    opening = Promise.all([loadStylesheet(), bodyReady()]).then(() => {
      opening = null;
      if (banner) {
        return;
      }
      banner = build();
      banner.returnFocus = returnFocus;
      document.body.appendChild(banner.section);
      root.dataset.harimConsent = "shown";
      banner.accept.focus();
    });
    return opening;
  }

  window.harimConsent = Object.freeze({
    open() {
      open();
    },
    visitorId: visitorId(),
  });

  // A choice made for this policy version stands; a new version asks again. A shop whose
  // settings name no purpose needing consent has nothing to ask (open() still shows the banner).
  if (storage.get(KEY_VERSION) !== String(version) && purposes.length > 0) {
    open();
  }
})();
