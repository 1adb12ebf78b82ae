/*!
 * <onconet-finder>: find an oncology network for a Dutch postcode or your location.
 * Part of onconet, the national registry of oncology networks. No dependencies.
 *
 *   <script src="https://<onconet-server>/widget/onconet-finder.js"></script>
 *   <onconet-finder lang="nl" discipline="physiotherapy" limit="5"></onconet-finder>
 *
 * Attributes: api (base URL of the onconet server; default: where this script came from),
 * discipline, type, tumour-type (comma lists of vocabulary codes), lang (nl | en), limit (1–100).
 * Theme with CSS custom properties on the element or an ancestor: --onconet-accent,
 * --onconet-accent-fg, --onconet-font, --onconet-radius, --onconet-bg, --onconet-fg.
 * Everything renders in an open shadow root; API text is only ever set with textContent.
 */
(function () {
  "use strict";

  var TAG = "onconet-finder";
  if (!window.customElements || window.customElements.get(TAG)) {
    return;
  }

  // The server this script was loaded from, decided now: document.currentScript is only set
  // while the script first runs. A server mounted under a path prefix keeps its prefix.
  var DEFAULT_API = (function () {
    var script = document.currentScript;
    if (!script || !script.src) {
      var all = document.querySelectorAll('script[src*="onconet-finder.js"]');
      script = all.length ? all[all.length - 1] : null;
    }
    try {
      var url = new URL(script.src, document.baseURI);
      var path = url.pathname.replace(/\/widget\/onconet-finder\.js$/, "").replace(/\/+$/, "");
      return url.origin + path;
    } catch (e) {
      return window.location.origin;
    }
  })();

  var TEXT = {
    nl: {
      title: "Vind een oncologienetwerk",
      intro: "Zoek netwerken van zorgverleners rond kanker bij u in de buurt.",
      postcode: "Postcode",
      hint: "Bijvoorbeeld 9713 of 9713 AB",
      search: "Zoeken",
      locate: "Gebruik mijn locatie",
      searching: "Bezig met zoeken…",
      locating: "Uw locatie wordt bepaald…",
      enterPostcode: "Vul een postcode in.",
      found: function (n) {
        return n === 1 ? "1 netwerk gevonden" : n + " netwerken gevonden";
      },
      showing: function (n) {
        return "De " + n + " dichtstbijzijnde worden getoond.";
      },
      yourLocation: "uw locatie",
      none: "Geen netwerk gevonden",
      noneDetail: function (km) {
        return (
          "Er is binnen " + km + " km geen netwerk geregistreerd dat bij uw zoekopdracht past. " +
          "Probeer een andere postcode; uw huisarts kan u ook verder helpen."
        );
      },
      covers: "binnen het gebied",
      distance: "Afstand",
      type: "Soort",
      disciplines: "Disciplines",
      tumourTypes: "Tumortypen",
      website: "Website",
      contact: "Contact",
      email: "E-mail",
      phone: "Telefoon",
      roles: {
        coordinator: "coördinator",
        chair: "voorzitter",
        secretary: "secretariaat",
        general: "contactpunt",
      },
      badPostcode: "Controleer de postcode.",
      badLocation: "Deze locatie kan niet worden gebruikt.",
      badRequest: "De zoekopdracht is niet geldig.",
      unknownPostcode: function (pc) {
        return "Postcode " + pc + " is niet bekend. Controleer de postcode of probeer een postcode in de buurt.";
      },
      tooMany: "Er wordt nu te vaak gezocht. Probeer het over een minuut opnieuw.",
      serverError: function (status) {
        return "Er ging iets mis bij het zoeken (fout " + status + "). Probeer het later opnieuw.";
      },
      offline: "De zoekdienst is niet bereikbaar. Controleer uw internetverbinding en probeer het opnieuw.",
      geoDenied: "U heeft geen toestemming gegeven om uw locatie te gebruiken. Zoek op postcode.",
      geoFailed: "Uw locatie kon niet worden bepaald. Zoek op postcode.",
      source: "Bron: landelijk register van oncologienetwerken",
    },
    en: {
      title: "Find an oncology network",
      intro: "Search for networks of care providers around cancer near you.",
      postcode: "Postcode",
      hint: "For example 9713 or 9713 AB",
      search: "Search",
      locate: "Use my location",
      searching: "Searching…",
      locating: "Finding your location…",
      enterPostcode: "Please enter a postcode.",
      found: function (n) {
        return n === 1 ? "1 network found" : n + " networks found";
      },
      showing: function (n) {
        return "Showing the " + n + " nearest.";
      },
      yourLocation: "your location",
      none: "No network found",
      noneDetail: function (km) {
        return (
          "No network matching your search is registered within " + km + " km. " +
          "Try another postcode; your GP can also help you further."
        );
      },
      covers: "in the area",
      distance: "Distance",
      type: "Type",
      disciplines: "Disciplines",
      tumourTypes: "Tumour types",
      website: "Website",
      contact: "Contact",
      email: "Email",
      phone: "Phone",
      roles: {
        coordinator: "coordinator",
        chair: "chair",
        secretary: "secretariat",
        general: "contact point",
      },
      badPostcode: "Please check the postcode.",
      badLocation: "This location cannot be used.",
      badRequest: "The search is not valid.",
      unknownPostcode: function (pc) {
        return "Postcode " + pc + " is not known. Check the postcode or try one nearby.";
      },
      tooMany: "Too many searches right now. Please try again in a minute.",
      serverError: function (status) {
        return "Something went wrong while searching (error " + status + "). Please try again later.";
      },
      offline: "The search service cannot be reached. Check your internet connection and try again.",
      geoDenied: "You did not allow the use of your location. Please search by postcode.",
      geoFailed: "Your location could not be determined. Please search by postcode.",
      source: "Source: national registry of oncology networks",
    },
  };

  var CSS = [
    ":host{all:initial;display:block;contain:content}",
    ":host([hidden]){display:none}",
    // Inherited properties are set again here: the host page may force them on the host
    // element (even with !important), but its selectors cannot reach inside the shadow root.
    ".of{--_accent:var(--onconet-accent,#0b5394);--_accent-fg:var(--onconet-accent-fg,#fff);",
    "--_bg:var(--onconet-bg,#fff);--_fg:var(--onconet-fg,#1b1b1b);--_radius:var(--onconet-radius,6px);",
    "--_muted:var(--_fg);--_line:#6b6b6b;--_soft:#eef3f9;",
    "display:block;box-sizing:border-box;margin:0;padding:1.25em;",
    "font-family:var(--onconet-font,system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif);",
    "font-size:16px;font-weight:400;font-style:normal;line-height:1.5;letter-spacing:normal;",
    "text-align:start;text-transform:none;text-indent:0;text-decoration:none;text-shadow:none;",
    "white-space:normal;word-spacing:normal;visibility:visible;cursor:auto;direction:ltr;",
    "color:var(--_fg);background:var(--_bg);border:1px solid var(--_line);border-radius:var(--_radius)}",
    "@supports (color:color-mix(in srgb,red 50%,blue)){.of{",
    "--_muted:color-mix(in srgb,var(--_fg) 82%,var(--_bg));",
    "--_line:color-mix(in srgb,var(--_fg) 62%,var(--_bg));",
    "--_soft:color-mix(in srgb,var(--_accent) 9%,var(--_bg))}}",
    ".of *,.of *::before,.of *::after{box-sizing:border-box}",
    "[hidden]{display:none!important}",
    "h2,h3,p,ul,dl,dd{margin:0;padding:0}",
    "h2{font-size:1.25em;font-weight:700;line-height:1.3;color:var(--_fg)}",
    ".intro{margin-top:.25em;color:var(--_muted)}",
    "form{display:flex;flex-wrap:wrap;align-items:flex-end;gap:.5em .75em;margin:1em 0 0}",
    ".field{display:flex;flex-direction:column;gap:.2em;flex:1 1 11em;min-width:0}",
    "label{font-weight:600;color:var(--_fg)}",
    ".hint{font-size:.875em;color:var(--_muted)}",
    "input{font:inherit;color:var(--_fg);background:var(--_bg);width:100%;margin:0;",
    "padding:.5em .65em;border:2px solid var(--_line);border-radius:var(--_radius);min-height:2.75em}",
    "input[aria-invalid=true]{border-color:#b3261e}",
    "button{font:inherit;font-weight:600;margin:0;cursor:pointer;min-height:2.75em;",
    "padding:.5em 1.1em;border-radius:var(--_radius);border:2px solid var(--_accent)}",
    "button.primary{color:var(--_accent-fg);background:var(--_accent)}",
    "button.secondary{color:var(--_accent);background:var(--_bg)}",
    "button:hover{text-decoration:underline}",
    ":focus{outline:none}",
    ":focus-visible,input:focus{outline:3px solid var(--_accent);outline-offset:2px}",
    "a{color:var(--_accent);text-decoration:underline;text-underline-offset:.15em}",
    "a:hover{text-decoration-thickness:2px}",
    ".results{margin-top:1.1em}",
    ".status{display:flex;align-items:center;gap:.5em;color:var(--_fg)}",
    ".status:empty{display:none}",
    ".spinner{width:1em;height:1em;border:3px solid var(--_soft);border-top-color:var(--_accent);",
    "border-radius:50%;animation:spin .8s linear infinite;flex:none}",
    "@keyframes spin{to{transform:rotate(360deg)}}",
    "@media (prefers-reduced-motion:reduce){.spinner{animation:none;border-top-color:var(--_line)}}",
    ".summary{font-weight:700}",
    ".more{color:var(--_muted);font-size:.875em}",
    ".message{padding:.75em 1em;border-radius:var(--_radius);border-left:4px solid var(--_line);",
    "background:var(--_soft);color:var(--_fg)}",
    ".message.error{border-left-color:#b3261e;background:#fdf0ef;color:#5c0f0b}",
    ".message strong{display:block}",
    ".list{list-style:none;display:flex;flex-direction:column;gap:.75em;margin-top:.75em}",
    ".hit{list-style:none;padding:.85em 1em;border:1px solid var(--_line);border-radius:var(--_radius);",
    "background:var(--_bg);color:var(--_fg)}",
    ".name{font-size:1.075em;font-weight:700;line-height:1.35;overflow-wrap:anywhere}",
    "dl{display:grid;grid-template-columns:minmax(7.5em,max-content) 1fr;gap:.3em .9em;margin-top:.6em;font-size:.9375em}",
    "dt{font-weight:600;color:var(--_fg)}",
    "dd{min-width:0;overflow-wrap:anywhere;color:var(--_fg)}",
    ".tags{list-style:none;display:flex;flex-wrap:wrap;gap:.3em}",
    ".tags li{list-style:none;background:var(--_soft);color:var(--_fg);border-radius:.8em;padding:0 .6em}",
    ".contacts{list-style:none}",
    ".contacts li{list-style:none}",
    ".contacts li+li{margin-top:.25em}",
    ".role{color:var(--_muted)}",
    ".source{margin-top:1em;font-size:.8125em;color:var(--_muted)}",
    "@media (max-width:30em){dl{grid-template-columns:1fr}dt{margin-top:.2em}}",
    "@media (forced-colors:active){.hit,.message,input,button{border:1px solid CanvasText}}",
  ].join("");

  var sheet = null;
  function styleSheet() {
    if (sheet === null) {
      try {
        sheet = new CSSStyleSheet();
        sheet.replaceSync(CSS);
      } catch (e) {
        sheet = false;
      }
    }
    return sheet;
  }

  // Vocabularies, fetched once per server and language and shared by every element.
  var vocabularies = new Map();
  function loadVocabularies(api, lang) {
    var key = api + " " + lang;
    if (!vocabularies.has(key)) {
      var promise = fetch(api + "/v1/vocabularies", {
        headers: { Accept: "application/json", "Accept-Language": lang },
        credentials: "omit",
        mode: "cors",
      })
        .then(function (r) {
          if (!r.ok) {
            throw new Error("vocabularies: HTTP " + r.status);
          }
          return r.json();
        })
        .then(function (doc) {
          var labels = {};
          ["network_types", "disciplines", "tumour_types"].forEach(function (name) {
            var map = new Map();
            (doc[name] || []).forEach(function (entry) {
              map.set(entry.code, (entry.labels && entry.labels[lang]) || entry.label || entry.code);
            });
            labels[name] = map;
          });
          return labels;
        })
        .catch(function () {
          vocabularies.delete(key); // try again next time; show codes meanwhile
          return null;
        });
      vocabularies.set(key, promise);
    }
    return vocabularies.get(key);
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        if (k === "text") {
          node.textContent = attrs[k];
        } else if (k === "className") {
          node.className = attrs[k];
        } else if (attrs[k] !== null && attrs[k] !== undefined && attrs[k] !== false) {
          node.setAttribute(k, attrs[k] === true ? "" : String(attrs[k]));
        }
      });
    }
    (children || []).forEach(function (c) {
      if (c !== null && c !== undefined) {
        node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
      }
    });
    return node;
  }

  /** An http(s) URL, or null: a profile's website never becomes a javascript: link. */
  function safeHttpUrl(value) {
    if (typeof value !== "string" || value === "") {
      return null;
    }
    try {
      var url = new URL(value);
      return url.protocol === "https:" || url.protocol === "http:" ? url : null;
    } catch (e) {
      return null;
    }
  }

  function codeLabel(map, code) {
    if (map && map.has(code)) {
      return map.get(code);
    }
    var text = String(code).replace(/_/g, " ");
    return text.charAt(0).toUpperCase() + text.slice(1);
  }

  var uid = 0;

  class OnconetFinder extends HTMLElement {
    static get observedAttributes() {
      return ["api", "discipline", "type", "tumour-type", "lang", "limit"];
    }

    constructor() {
      super();
      uid += 1;
      this._id = "onconet-finder-" + uid;
      this._controller = null;
      this._last = null; // the last search, repeated when lang/filters change
      this._root = this.attachShadow({ mode: "open" });
      var css = styleSheet();
      if (css && "adoptedStyleSheets" in this._root) {
        // A constructed sheet also works on pages whose CSP forbids inline <style>.
        this._root.adoptedStyleSheets = [css];
      } else {
        this._root.appendChild(el("style", { text: CSS }));
      }
      this._build();
    }

    get lang() {
      var value = (this.getAttribute("lang") || "nl").trim().toLowerCase();
      return value.indexOf("en") === 0 ? "en" : "nl";
    }

    get api() {
      var value = (this.getAttribute("api") || "").trim();
      return (value || DEFAULT_API).replace(/\/+$/, "");
    }

    get limit() {
      var n = parseInt(this.getAttribute("limit") || "", 10);
      return isNaN(n) ? 5 : Math.min(100, Math.max(1, n));
    }

    get t() {
      return TEXT[this.lang];
    }

    connectedCallback() {
      this._applyTexts();
      loadVocabularies(this.api, this.lang);
    }

    disconnectedCallback() {
      if (this._controller) {
        this._controller.abort();
      }
    }

    attributeChangedCallback(name, oldValue, newValue) {
      if (oldValue === newValue || !this._form) {
        return;
      }
      this._applyTexts();
      if (this.isConnected) {
        loadVocabularies(this.api, this.lang);
        if (this._last) {
          this._run(this._last);
        }
      }
    }

    _build() {
      var id = this._id;
      this._title = el("h2", { id: id + "-title", part: "title" });
      this._intro = el("p", { className: "intro" });
      this._label = el("label", { for: id + "-postcode" });
      this._hint = el("span", { className: "hint", id: id + "-hint" });
      this._input = el("input", {
        id: id + "-postcode",
        name: "postcode",
        type: "text",
        inputmode: "text",
        autocomplete: "postal-code",
        autocapitalize: "characters",
        spellcheck: "false",
        maxlength: "12",
        "aria-describedby": id + "-hint",
        part: "input",
      });
      this._searchButton = el("button", { type: "submit", className: "primary", part: "button" });
      var canLocate = "geolocation" in navigator && window.isSecureContext !== false;
      this._locateButton = canLocate
        ? el("button", { type: "button", className: "secondary", part: "button locate" })
        : null;
      this._form = el("form", { novalidate: true, role: "search", "aria-labelledby": id + "-title" }, [
        el("div", { className: "field" }, [this._label, this._hint, this._input]),
        this._searchButton,
        this._locateButton,
      ]);
      this._status = el("div", { className: "status" });
      this._output = el("div", { className: "output" });
      this._results = el(
        "div",
        { className: "results", "aria-live": "polite", "aria-atomic": "false", part: "results" },
        [this._status, this._output]
      );
      this._source = el("p", { className: "source" });
      this._root.appendChild(
        el("section", { className: "of", "aria-labelledby": id + "-title", part: "container" }, [
          this._title,
          this._intro,
          this._form,
          this._results,
          this._source,
        ])
      );

      var self = this;
      this._form.addEventListener("submit", function (event) {
        event.preventDefault();
        self._searchPostcode();
      });
      if (this._locateButton) {
        this._locateButton.addEventListener("click", function () {
          self._searchLocation();
        });
      }
      this._input.addEventListener("input", function () {
        if (self._input.getAttribute("aria-invalid") === "true") {
          self._markInvalid(false);
        }
      });
    }

    _applyTexts() {
      var t = this.t;
      this._title.textContent = t.title;
      this._intro.textContent = t.intro;
      this._label.textContent = t.postcode;
      this._hint.textContent = t.hint;
      this._searchButton.textContent = t.search;
      if (this._locateButton) {
        this._locateButton.textContent = t.locate;
      }
      this._source.textContent = t.source;
    }

    _markInvalid(invalid, messageId) {
      if (invalid) {
        this._input.setAttribute("aria-invalid", "true");
        this._input.setAttribute("aria-describedby", this._id + "-hint " + messageId);
      } else {
        this._input.removeAttribute("aria-invalid");
        this._input.setAttribute("aria-describedby", this._id + "-hint");
      }
    }

    _searchPostcode() {
      var postcode = this._input.value.trim();
      if (postcode === "") {
        this._showError(this.t.enterPostcode, null, true);
        this._input.focus();
        return;
      }
      this._run({ postcode: postcode });
    }

    _searchLocation() {
      var self = this;
      this._setBusy(this.t.locating);
      navigator.geolocation.getCurrentPosition(
        function (position) {
          // Three decimals (about 100 m) is precise enough and keeps the exact address private.
          self._run({
            lat: position.coords.latitude.toFixed(3),
            lon: position.coords.longitude.toFixed(3),
          });
        },
        function (error) {
          self._setBusy(null);
          self._showError(error && error.code === 1 ? self.t.geoDenied : self.t.geoFailed, null, false);
        },
        { enableHighAccuracy: false, timeout: 15000, maximumAge: 600000 }
      );
    }

    _query(place) {
      var params = new URLSearchParams();
      if (place.postcode !== undefined) {
        params.set("postcode", place.postcode);
      } else {
        params.set("lat", place.lat);
        params.set("lon", place.lon);
      }
      var filters = { discipline: "discipline", type: "type", "tumour-type": "tumour_type" };
      Object.keys(filters).forEach(function (attr) {
        var value = (this.getAttribute(attr) || "").trim();
        if (value) {
          params.set(filters[attr], value);
        }
      }, this);
      params.set("per_page", String(this.limit));
      // The compact answer: what a hit shows (name, type, website, disciplines, public contacts).
      params.set("view", "summary");
      return params.toString();
    }

    _run(place) {
      var self = this;
      var t = this.t;
      var lang = this.lang;
      var api = this.api;
      this._last = place;
      if (this._controller) {
        this._controller.abort();
      }
      var controller = typeof AbortController === "function" ? new AbortController() : null;
      this._controller = controller;
      this._markInvalid(false);
      this._setBusy(t.searching);
      var vocab = loadVocabularies(api, lang);
      fetch(api + "/v1/search?" + this._query(place), {
        headers: { Accept: "application/json", "Accept-Language": lang },
        credentials: "omit",
        mode: "cors",
        signal: controller ? controller.signal : undefined,
      })
        .then(function (response) {
          return response
            .json()
            .catch(function () {
              return null;
            })
            .then(function (body) {
              return { response: response, body: body };
            });
        })
        .then(function (answer) {
          return vocab.then(function (labels) {
            if (self._controller !== controller) {
              return;
            }
            self._setBusy(null);
            var status = answer.response.status;
            var body = answer.body;
            if (answer.response.ok && body && Array.isArray(body.items)) {
              self._showResults(place, body, labels);
            } else {
              self._showProblem(place, status, body);
            }
          });
        })
        .catch(function (error) {
          if ((error && error.name === "AbortError") || self._controller !== controller) {
            return;
          }
          self._setBusy(null);
          self._showError(self.t.offline, null, false);
        });
    }

    _setBusy(text) {
      this._results.setAttribute("aria-busy", text ? "true" : "false");
      this._status.textContent = "";
      if (text) {
        this._output.textContent = "";
        this._status.appendChild(el("span", { className: "spinner", "aria-hidden": "true" }));
        this._status.appendChild(el("span", { className: "loading", part: "loading", text: text }));
      }
    }

    _showError(title, detail, postcodeProblem) {
      var messageId = this._id + "-message";
      this._output.textContent = "";
      this._output.appendChild(
        el("div", { className: "message error", id: messageId, part: "error", "data-state": "error" }, [
          el("strong", { text: title }),
          detail ? el("span", { className: "detail", text: detail }) : null,
        ])
      );
      this._markInvalid(Boolean(postcodeProblem), messageId);
    }

    _showProblem(place, status, problem) {
      var t = this.t;
      var byPostcode = place.postcode !== undefined;
      if (status === 400 || status === 422) {
        // Prefer the message about the field itself; fall back to the problem's detail.
        var errors = (problem && Array.isArray(problem.errors) && problem.errors) || [];
        var own = errors.filter(function (e) {
          return e && ["postcode", "lat", "lon"].indexOf(e.parameter) >= 0;
        })[0];
        var detail = (own && own.detail) || (problem && problem.detail) || "";
        var title = own ? (byPostcode ? t.badPostcode : t.badLocation) : t.badRequest;
        this._showError(title, detail, Boolean(own) && byPostcode);
      } else if (status === 404 && byPostcode) {
        this._showError(t.unknownPostcode(place.postcode.toUpperCase()), null, true);
      } else if (status === 429) {
        this._showError(t.tooMany, null, false);
      } else {
        this._showError(t.serverError(status), null, false);
      }
    }

    _placeText(place, body) {
      var p = body.place || {};
      var where = p.postcode || (place.postcode !== undefined ? place.postcode : this.t.yourLocation);
      var town = p.municipality && p.municipality.name;
      return town ? where + " (" + town + ")" : where;
    }

    _showResults(place, body, labels) {
      var t = this.t;
      var lang = this.lang;
      var items = body.items;
      var total = (body.page && body.page.total_items) || items.length;
      var where = this._placeText(place, body);
      this._output.textContent = "";
      if (items.length === 0) {
        var km = body.radius_km !== undefined ? body.radius_km : 25;
        this._output.appendChild(
          el("div", { className: "message empty", part: "empty", "data-state": "empty" }, [
            el("strong", { text: t.none + " — " + where }),
            el("span", { text: t.noneDetail(new Intl.NumberFormat(lang === "en" ? "en-GB" : "nl-NL").format(km)) }),
          ])
        );
        return;
      }
      var numbers = new Intl.NumberFormat(lang === "en" ? "en-GB" : "nl-NL", {
        minimumFractionDigits: 1,
        maximumFractionDigits: 1,
      });
      this._output.appendChild(
        el("p", { className: "summary", "data-state": "results", "data-total": total }, [
          t.found(total) + " — " + where,
        ])
      );
      if (total > items.length) {
        this._output.appendChild(el("p", { className: "more", text: t.showing(items.length) }));
      }
      var list = el("ul", { className: "list", part: "list" });
      items.forEach(function (hit) {
        list.appendChild(this._renderHit(hit, labels, numbers));
      }, this);
      this._output.appendChild(list);
    }

    _renderHit(hit, labels, numbers) {
      var t = this.t;
      var n = hit.network || {};
      var website = safeHttpUrl(n.website);
      var name = el("h3", { className: "name", part: "name" }, [
        website ? el("a", { href: website.href, text: n.name || "" }) : String(n.name || ""),
      ]);
      var distance = hit.covers ? t.covers : numbers.format(Number(hit.distance_km) || 0) + " km";
      var rows = [];
      function row(term, value) {
        rows.push(el("dt", { text: term }));
        rows.push(el("dd", null, [value]));
      }
      row(t.type, codeLabel(labels && labels.network_types, n.type));
      row(t.distance, el("span", { className: "distance", text: distance }));
      var tags = function (codes, map) {
        return el(
          "ul",
          { className: "tags" },
          codes.map(function (code) {
            return el("li", { text: codeLabel(map, code) });
          })
        );
      };
      if (Array.isArray(n.disciplines) && n.disciplines.length) {
        row(t.disciplines, tags(n.disciplines, labels && labels.disciplines));
      }
      if (Array.isArray(n.tumour_types) && n.tumour_types.length) {
        row(t.tumourTypes, tags(n.tumour_types, labels && labels.tumour_types));
      }
      if (website) {
        var shown = (website.host + website.pathname + website.search).replace(/\/$/, "");
        row(t.website, el("a", { href: website.href, text: shown }));
      }
      var contacts = (Array.isArray(n.contacts) ? n.contacts : []).filter(function (c) {
        return c && c.public !== false && (c.name || c.email || c.phone);
      });
      if (contacts.length) {
        row(
          t.contact,
          el(
            "ul",
            { className: "contacts" },
            contacts.map(function (c) {
              var parts = [];
              if (c.name) {
                parts.push(el("span", { className: "contact-name", text: c.name }));
              }
              if (c.role && t.roles[c.role]) {
                parts.push(el("span", { className: "role", text: " (" + t.roles[c.role] + ")" }));
              }
              if (c.email) {
                parts.push(parts.length ? " · " : "");
                parts.push(el("a", { href: "mailto:" + encodeURI(c.email), "aria-label": t.email + " " + c.email, text: c.email }));
              }
              if (c.phone) {
                var tel = String(c.phone).replace(/[^+0-9]/g, "");
                parts.push(parts.length ? " · " : "");
                parts.push(tel ? el("a", { href: "tel:" + tel, "aria-label": t.phone + " " + c.phone, text: c.phone }) : c.phone);
              }
              return el("li", null, parts);
            })
          )
        );
      }
      return el("li", { className: "hit", part: "result", "data-id": n.id || null }, [
        name,
        el("dl", null, rows),
      ]);
    }
  }

  window.customElements.define(TAG, OnconetFinder);
})();
