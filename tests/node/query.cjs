// Runs several SPARQL queries in one Comunica engine, so the end-to-end tests pay Comunica's
// start-up once (tests/helpers/node.py runs it; tests/e2e/test_linked_data_clients.py uses it).
//
//   node query.cjs link-traversal|sparql < job.json
//
// job.json: {"sources": ["https://…"], "proxy": "http://127.0.0.1:P/" or null, "lenient": bool,
//            "queries": {"name": "SELECT …", …}}
// Prints one JSON object: {"name": <the SPARQL 1.1 JSON results, as Comunica serializes them>, …};
// a query that fails gives {"name": {"error": "…"}} and the others still run. Each query starts
// with an empty HTTP cache, as a fresh `comunica-sparql` process would; `proxy` is Comunica's
// own prefix proxy (the same ProxyHandlerStatic its `--proxy` option makes).
'use strict';

const path = require('node:path');

const PACKAGES = {
  'link-traversal': '@comunica/query-sparql-link-traversal',
  sparql: '@comunica/query-sparql',
};
const PROXY_KEY = '@comunica/actor-http-proxy:httpProxyHandler';
const LENIENT_KEY = '@comunica/actor-init-query:lenient';
const RESULTS = 'application/sparql-results+json';

function fromPackage(name, dependency) {
  // the copy of `dependency` the engine's own package resolves (each engine has its own Comunica)
  const root = path.dirname(require.resolve(`${PACKAGES[name]}/package.json`));
  return require(require.resolve(dependency, { paths: [root] }));
}

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

async function text(stream) {
  const chunks = [];
  for await (const chunk of stream) {
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function main() {
  const name = process.argv[2];
  if (!(name in PACKAGES)) {
    throw new Error(`usage: node query.cjs ${Object.keys(PACKAGES).join('|')} < job.json`);
  }
  const job = await readStdin();
  const { QueryEngine } = require(PACKAGES[name]);
  const engine = new QueryEngine();
  const context = { sources: job.sources, [LENIENT_KEY]: Boolean(job.lenient) };
  if (job.proxy) {
    const { ProxyHandlerStatic } = fromPackage(name, '@comunica/actor-http-proxy');
    context[PROXY_KEY] = new ProxyHandlerStatic(job.proxy);
  }
  const answers = {};
  for (const [queryName, query] of Object.entries(job.queries)) {
    await engine.invalidateHttpCache();
    try {
      const result = await engine.query(query, { ...context });
      const { data } = await engine.resultToString(result, RESULTS);
      answers[queryName] = JSON.parse(await text(data));
    } catch (error) {
      answers[queryName] = { error: String(error && error.stack ? error.stack : error) };
    }
  }
  await new Promise((resolve) => process.stdout.write(JSON.stringify(answers), resolve));
}

main().then(
  () => process.exit(0), // idle keep-alive sockets would otherwise hold the process for seconds
  (error) => {
    process.stderr.write(`${error && error.stack ? error.stack : error}\n`);
    process.exit(2);
  },
);
