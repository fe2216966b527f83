// A Node service installed with pnpm: it answers /healthz with a duration formatted by its one dependency.
const http = require("http");
const ms = require("ms");
const server = http.createServer((req, res) => {
  res.writeHead(req.url === "/healthz" ? 200 : 404, { "content-type": "text/plain" });
  res.end(ms(60000));
});
server.listen(3000);
process.on("SIGTERM", () => server.close(() => process.exit(0)));
