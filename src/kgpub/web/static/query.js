/* The query page: YASGUI in place of the plain form, configured by the page's #yasgui-config JSON block.
 *
 * - The class and property autocompleters are removed from YASQE's defaults before YASGUI starts: in
 *   YASGUI 4.6.2 they ask Linked Open Vocabularies on every keystroke, and a configuration alone cannot
 *   drop them (YASQE merges its list with the defaults element by element).
 * - Nothing is kept in the browser (persistenceId null): each visit starts from this release's tabs.
 * - IRIs under the knowledge graph's base are shown as they are, but link to their page on this server.
 * - The links below the editor give the current query's answer in every format, and follow the editor.
 * - What YASGUI draws is repaired for assistive technology after each change to it (accessible()): the
 *   add-tab button leaves the tab list (a tab list holds tabs only), a tab names its panel only once
 *   that panel exists (YASGUI draws a tab's panel when the tab is first shown), and the endpoint box,
 *   the editors (the query's, the raw response's) and their scrolling views get names and keyboard
 *   access, in the page's language (config.text). query.css gives the tab labels their contrast.
 * Without this script (or without YASGUI) the form stays and works.
 */
(function () {
  "use strict";

  var data = document.getElementById("yasgui-config");
  var root = document.getElementById("yasgui");
  if (!data || !root || typeof window.Yasgui !== "function") {
    return;
  }
  var config = JSON.parse(data.textContent);
  var Yasgui = window.Yasgui;
  var endpoint = new URL(config.endpoint, window.location.href).href;
  var base = config.base;

  var off = config.autocompletersOff;
  Yasgui.Yasqe.defaults.autocompleters = Yasgui.Yasqe.defaults.autocompleters.filter(function (name) {
    return off.indexOf(name) < 0;
  });

  var options = config.yasgui;
  options.requestConfig.endpoint = endpoint;
  options.endpointCatalogueOptions = {
    getData: function () {
      return [{ endpoint: endpoint }];
    },
    keys: [],
  };

  function localLink(link) {
    var href = link.getAttribute("href");
    if (href && href.indexOf(base) === 0) {
      link.setAttribute("href", window.location.origin + "/" + href.slice(base.length));
      link.setAttribute("title", href);
    }
  }

  function localLinks(node) {
    if (node.nodeType !== 1) {
      return;
    }
    if (node.matches("a[href]")) {
      localLink(node);
    }
    node.querySelectorAll("a[href]").forEach(localLink);
  }

  var text = config.text;
  var yasgui;
  var labels = 0; // ids given to YASR's page-size labels

  function name(element, label) {
    if (element.getAttribute("aria-label") !== label) {
      element.setAttribute("aria-label", label);
    }
  }

  function moveAddTab() {
    // YASGUI inserts each new tab before its add-tab holder: without it, new tabs go at the end of the list.
    var tabList = yasgui && yasgui.tabElements;
    var holder = tabList && tabList.addTabEl;
    var list = holder && holder.parentNode;
    if (!list || !list.classList.contains("tabsList")) {
      return;
    }
    var bar = document.createElement("div");
    bar.className = "tabsBar";
    list.parentNode.insertBefore(bar, list);
    bar.appendChild(list);
    holder.removeAttribute("role");
    holder.className = "addTabHolder";
    bar.appendChild(holder);
    tabList.addTabEl = null;
  }

  function repairTabs() {
    root.querySelectorAll(".tabsList").forEach(function (list) {
      name(list, text.tabs);
    });
    root.querySelectorAll(".tabsList [role=tab]").forEach(function (tab) {
      var panel = (tab.getAttribute("href") || "").replace(/^#/, "");
      if (panel && document.getElementById(panel)) {
        if (tab.getAttribute("aria-controls") !== panel) {
          tab.setAttribute("aria-controls", panel);
        }
      } else if (tab.hasAttribute("aria-controls")) {
        tab.removeAttribute("aria-controls");
      }
    });
    root.querySelectorAll(".tabsList .tab input").forEach(function (input) {
      name(input, text.tabName);
    });
    root.querySelectorAll(".addTab").forEach(function (button) {
      name(button, text.addTab);
      if (button.title !== text.addTab) {
        button.title = text.addTab;
      }
    });
  }

  function repairEditors() {
    root.querySelectorAll("input.autocomplete").forEach(function (input) {
      name(input, text.endpoint);
    });
    root.querySelectorAll(".CodeMirror").forEach(function (editor) {
      var response = editor.closest(".yasr") !== null;
      var field = editor.querySelector("textarea");
      var view = editor.querySelector(".CodeMirror-scroll");
      if (field) {
        name(field, response ? text.response : text.editor);
      }
      if (view) {
        name(view, response ? text.responseView : text.editorView);
        if (view.getAttribute("role") !== "region") {
          view.setAttribute("role", "region");
        }
        if (view.getAttribute("tabindex") !== "0") {
          view.setAttribute("tabindex", "0");
        }
      }
    });
    root.querySelectorAll(".yasr select.tableSizer").forEach(function (select) {
      var label = select.parentNode.querySelector(".pageSizerLabel");
      if (label && !select.hasAttribute("aria-labelledby")) {
        label.id = label.id || "page-size-label-" + (labels += 1);
        select.setAttribute("aria-labelledby", label.id);
      }
    });
  }

  function accessible() {
    moveAddTab();
    repairTabs();
    repairEditors();
  }

  var pending = 0;
  function later() {
    // once YASGUI is done drawing: it draws a tab's panel, editor and results in many steps
    window.clearTimeout(pending);
    pending = window.setTimeout(accessible, 20);
  }

  new MutationObserver(function (records) {
    records.forEach(function (record) {
      record.addedNodes.forEach(localLinks);
    });
    later();
  }).observe(root, { childList: true, subtree: true });

  yasgui = new Yasgui(root, options);
  var form = document.getElementById("query-form");
  if (form) {
    form.hidden = true; // YASGUI is up: it replaces the form
  }
  var fromLink = yasgui.getTab(); // a YASGUI share link (#query=…) opened a tab already
  config.tabs.forEach(function (tab, index) {
    yasgui.addTab(!fromLink && index === config.active, {
      name: tab.name,
      yasqe: { value: tab.query },
      requestConfig: { endpoint: endpoint },
    });
  });
  accessible(); // at once, not only after the observer's delay: the page is usable (and checked) from here
  if (config.run && !fromLink) {
    yasgui.getTab().query().catch(function () {});
  }

  var downloads = document.getElementById("query-downloads");
  var hooked = [];
  var KINDS = { SELECT: "results", ASK: "results", CONSTRUCT: "graph", DESCRIBE: "graph" };

  function update() {
    var tab = yasgui.getTab();
    var yasqe = tab && tab.getYasqe();
    if (!downloads || !yasqe) {
      return;
    }
    if (hooked.indexOf(yasqe) < 0) {
      hooked.push(yasqe);
      yasqe.on("change", update);
    }
    var query = yasqe.getValue();
    var kind = KINDS[yasqe.getQueryType()];
    downloads.querySelectorAll("a[data-format]").forEach(function (link) {
      var params = new URLSearchParams({ query: query, format: link.getAttribute("data-format") });
      link.setAttribute("href", config.endpoint + "?" + params.toString());
    });
    downloads.querySelectorAll("[data-kind]").forEach(function (group) {
      group.hidden = kind !== undefined && group.getAttribute("data-kind") !== kind;
    });
  }

  ["tabSelect", "tabAdd", "tabChange", "query"].forEach(function (event) {
    yasgui.on(event, function () {
      window.setTimeout(update, 0);
    });
  });
  update();
})();
