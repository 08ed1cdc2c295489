/* The query page: YASGUI in place of the plain form, configured by the page's #yasgui-config JSON block.
 *
 * - The class and property autocompleters are removed from YASQE's defaults before YASGUI starts: in
 *   YASGUI 4.6.2 they ask Linked Open Vocabularies on every keystroke, and a configuration alone cannot
 *   drop them (YASQE merges its list with the defaults element by element).
 * - Nothing is kept in the browser (persistenceId null): each visit starts from this release's tabs.
 * - IRIs under the knowledge graph's base are shown as they are, but link to their page on this server.
 * - The links below the editor give the current query's answer in every format, and follow the editor.
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

  new MutationObserver(function (records) {
    records.forEach(function (record) {
      record.addedNodes.forEach(localLinks);
    });
  }).observe(root, { childList: true, subtree: true });

  var yasgui = new Yasgui(root, options);
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
