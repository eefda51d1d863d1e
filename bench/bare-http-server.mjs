/**
 * The floor under every HTTP latency the benchmarks report: a node:http server that answers each GET
 * with a constant JSON body, in its own process like the collector. Prints its URL, then serves until killed.
 */
import http from 'node:http';

const body = Buffer.from('{"tree_size":0}');
const server = http.createServer((request, response) => {
  request.resume();
  response.writeHead(200, { 'content-type': 'application/json', 'content-length': String(body.length) }).end(body);
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`listening on http://127.0.0.1:${server.address().port}\n`));
