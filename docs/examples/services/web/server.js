// The example front end: health at /healthz, everything else from the API service.
const http = require("node:http");

const apiUrl = process.env.API_URL || "http://api:8000";

http.createServer(async (req, res) => {
  if (req.url === "/healthz") {
    res.writeHead(200, { "content-type": "application/json" }).end('{"status":"ok"}');
    return;
  }
  const upstream = await fetch(apiUrl + req.url, { signal: AbortSignal.timeout(3000) });
  res.writeHead(upstream.status, { "content-type": "application/json" }).end(await upstream.text());
}).listen(3000);
