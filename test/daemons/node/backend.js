// backend.js - the HTTP server behind HAProxy in test/daemons/haproxy_check.sh
// (run without the library: only the client side of HAProxy is under test).
//
//   node backend.js PORT BODYFILE
//     prints "READY <port>" once it listens, then serves:
//       GET /full   BODYFILE with Content-Length, res.end()
//       GET /stall  the header (Content-Length of the whole file) and the
//                   first 256 KiB, then never ends the response
//       anything else (the health checks never come here: they are external)
//                   200 with an empty body
'use strict';
const http = require('http');
const fs = require('fs');

const port = Number(process.argv[2]);
const body = fs.readFileSync(process.argv[3]);
const server = http.createServer((req, res) => {
	const head = { 'Content-Length': body.length, 'Content-Type': 'application/octet-stream' };
	if (req.url === '/full') {
		res.writeHead(200, head);
		res.end(body);
	} else if (req.url === '/stall') {
		res.writeHead(200, head);
		res.write(body.subarray(0, 262144));
	} else {
		res.writeHead(200, { 'Content-Length': 0 });
		res.end();
	}
});
server.listen(port, '127.0.0.1', () => console.log(`READY ${port}`));
setTimeout(() => process.exit(3), 50000).unref(); // never outlive the test
