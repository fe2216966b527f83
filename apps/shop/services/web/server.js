// The shop front end. Health at /healthz; /api/* is forwarded to the API service.
const http = require("node:http");

const port = Number(process.env.PORT || 3000);
const apiUrl = process.env.API_URL || "http://api:8000";

const server = http.createServer(async (req, res) => {
  if (req.url === "/healthz") {
    res.writeHead(200, { "content-type": "application/json" }).end('{"status":"ok"}');
  } else if (req.url.startsWith("/api/")) {
    try {
      const upstream = await fetch(apiUrl + req.url.slice(4), { signal: AbortSignal.timeout(3000) });
      res.writeHead(upstream.status, { "content-type": "application/json" }).end(await upstream.text());
    } catch {
      res.writeHead(502).end();
    }
  } else {
    res.writeHead(200, { "content-type": "text/html" }).end("<h1>shop</h1>");
  }
});

server.listen(port, "0.0.0.0");
// Finish in-flight requests, then exit, when Kubernetes or compose stops the container.
process.on("SIGTERM", () => server.close(() => process.exit(0)));
