// server.js - a Node.js victim server for test/integration/core_node.sh.
//
//   node server.js PORT FAMILY(4|6) BYTES MODE
//
// Speaks the protocol of test/progs/victim.c: prints "READY <port>", accepts
// one connection, reads the request line up to '\n', writes BYTES payload
// bytes (the generator of test/progs/testnet.h), prints "SENT <n>" once the
// kernel has taken them all (write callback), then ends by MODE:
//   end       socket.end()      libuv: shutdown(SHUT_WR), later its close
//   destroy   socket.destroy()  libuv: only syscall(SYS_close, fd) - node
//                               never calls close(); the library must
//                               handle the raw syscall() path
//   exit3     process.exit(3)   exit status 3: sockets stay armed -> RST
//   external  wait for the test's kill -9
'use strict';
const net = require('net');

const [port, family, bytes, mode] = process.argv.slice(2);
const total = Number(bytes);

// byte i = top byte of (i * 0x9E3779B97F4A7C15 mod 2^64), computed
// incrementally on two 32-bit halves (x += K each step).
function payload(n) {
	const buf = Buffer.allocUnsafe(n);
	const KLO = 0x7F4A7C15, KHI = 0x9E3779B9;
	let lo = 0, hi = 0;
	for (let i = 0; i < n; i++) {
		buf[i] = hi >>> 24;
		lo += KLO;
		let carry = 0;
		if (lo >= 0x100000000) { lo -= 0x100000000; carry = 1; }
		hi = (hi + KHI + carry) >>> 0;
	}
	return buf;
}

const data = payload(total);
const server = net.createServer((sock) => {
	server.close(); // one connection only
	let request = '';
	const onData = (chunk) => {
		request += chunk.toString('latin1');
		if (!request.includes('\n')) return;
		// Keep reading (and discarding) after the request: the peer's FIN
		// must be read for node to finish the connection, and unread input
		// would make the kernel send RST on close (RFC 2525).
		sock.removeListener('data', onData);
		sock.on('data', () => {});
		sock.write(data, () => {
			process.stdout.write(`SENT ${total}\n`);
			switch (mode) {
			case 'end': sock.end(); break;
			case 'destroy': sock.destroy(); break;
			case 'exit3': process.exit(3); break;
			case 'external': setInterval(() => {}, 1000); break;
			default: process.stderr.write(`bad mode ${mode}\n`); process.exit(2);
			}
		});
	};
	sock.on('data', onData);
	sock.on('error', (e) => { process.stderr.write(`socket error ${e.code}\n`); });
});
server.listen({ port: Number(port), host: family === '6' ? '::1' : '127.0.0.1' }, () => {
	process.stdout.write(`READY ${server.address().port}\n`);
});
