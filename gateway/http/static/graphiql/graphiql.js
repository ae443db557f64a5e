// The gateway's GraphiQL: every script and style comes from the gateway (no CDN), and the
// page's settings arrive in a JSON block (the Content-Security-Policy allows no inline script).
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("graphiql-config").textContent);
  var url = new URL(config.endpoint, window.location.href);
  var socket = new URL(url.href);
  socket.protocol = url.protocol === "https:" ? "wss:" : "ws:";

  var fetcher = GraphiQL.createFetcher({ url: url.href, subscriptionUrl: socket.href });
  var explorer = GraphiQLPluginExplorer.explorerPlugin();

  function App() {
    return React.createElement(GraphiQL, {
      fetcher: fetcher,
      plugins: [explorer],
      query: config.query,
      variables: config.variables,
      defaultTabs: config.tabs, // the example query, then an example write
      defaultEditorToolsVisibility: true,
      isHeadersEditorEnabled: true,
      // API keys and tokens stay in the page's memory, never in localStorage.
      shouldPersistHeaders: false,
      inputValueDeprecation: true,
    });
  }

  ReactDOM.createRoot(document.getElementById("graphiql")).render(React.createElement(App));
})();
