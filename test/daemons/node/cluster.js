// cluster.js - a Node.js cluster HTTP server in the default scheduling
// (round-robin: the primary accepts every connection and hands it to a
// worker over IPC with SCM_RIGHTS, then closes its own copy), for
// test/daemons/node_cluster.sh.
//
//   node cluster.js PORT BODYFILE
//     primary: forks 2 workers, prints "READY <port> primary=<pid>" once both
//     listen, "WORKER <pid>" for each.  A worker serves:
//       GET /full   BODYFILE with Content-Length, res.end() (graceful)
//       GET /stall  the header (Content-Length of the whole file) and the
//                   first 256 KiB, then prints "SENT <pid> <bytes>" and never
//                   ends the response: the test SIGKILLs this worker
//     The primary does not fork a replacement when a worker dies.
'use strict';
const cluster = require('cluster');
const http = require('http');
const fs = require('fs');

const port = Number(process.argv[2]);
const body = fs.readFileSync(process.argv[3]);

if (cluster.isPrimary) {
	// The default must be round-robin; the test's control sets "none".
	const want = process.env.NODE_CLUSTER_SCHED_POLICY === 'none' ?
		cluster.SCHED_NONE : cluster.SCHED_RR;
	if (cluster.schedulingPolicy !== want) {
		console.error(`cluster: scheduling policy ${cluster.schedulingPolicy}, want ${want}`);
		process.exit(2);
	}
	let listening = 0;
	for (let i = 0; i < 2; i++) {
		const w = cluster.fork();
		console.log(`WORKER ${w.process.pid}`);
		w.on('listening', () => {
			if (++listening === 2)
				console.log(`READY ${port} primary=${process.pid}`);
		});
	}
	// A safety net: never outlive the test.
	setTimeout(() => process.exit(3), 50000).unref();
} else {
	const server = http.createServer((req, res) => {
		if (req.url === '/full') {
			res.writeHead(200, { 'Content-Length': body.length,
				'Content-Type': 'application/octet-stream' });
			res.end(body);
		} else if (req.url === '/stall') {
			const part = body.subarray(0, 262144);
			res.writeHead(200, { 'Content-Length': body.length,
				'Content-Type': 'application/octet-stream' });
			res.write(part, () => console.log(`SENT ${process.pid} ${part.length}`));
		} else {
			res.writeHead(404, { 'Content-Length': 0 });
			res.end();
		}
	});
	server.listen(port, '127.0.0.1');
}
