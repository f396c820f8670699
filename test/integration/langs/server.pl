# server.pl - a Perl victim server for test/integration/core_langs.sh.
#
#     perl server.pl PORT BYTES MODE
#
# Speaks the protocol of test/progs/victim.c: prints "READY <port>", accepts
# one connection, reads the request line, sends BYTES payload bytes (the
# generator of test/progs/testnet.h), prints "SENT <n>", then ends:
#   close     close($conn)                  -> FIN, every byte
#   exit1     exit(1), the socket open      (perl closes its handles in
#                                            global destruction: see the test)
#   _exit1    POSIX::_exit(1)               -> RST
#   external  wait for the test's kill -9   -> RST
#   fork-close, fork-_exit1  the same in a forked handler (the parent closes
#             its copy at once, waits for it and exits 0)
use strict;
use warnings;
use IO::Socket::INET;
use POSIX ();

my ($port, $total, $mode) = @ARGV;
# payload_byte(i) = (i * K mod 2^64) >> 56, K = 0x9E3779B97F4A7C15, from
# 32-bit halves (every product stays below 2^53).
my ($khi, $klo) = (0x9E3779B9, 0x7F4A7C15);
my $data = '';
for my $i (0 .. $total - 1) {
	my $lo = $i * $klo;
	my $hi = ($i * $khi + int($lo / 4294967296)) % 4294967296;
	$data .= chr(int($hi / 16777216));
}
my $l = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $port, Listen => 1, ReuseAddr => 1)
	or die "listen: $!";
$| = 1;
print "READY $port\n";
my $c = $l->accept or die "accept: $!";
close $l;
my $req = '';
while ($req !~ /\n/) {
	my $n = sysread($c, my $b, 1);
	die "EOF before the request line ended" unless $n;
	$req .= $b;
}
# fork-*: a forking server's handler sends, as Net::Server::Fork or a
# hand-written accept-fork-close loop does; the parent closes its copy at
# once and exits 0 after the handler.
if ($mode =~ /^fork-(.*)/) {
	my $end = $1;
	pipe(my $gr, my $gw) or die "pipe: $!";
	my $pid = fork() // die "fork: $!";
	if ($pid) {
		close $c;
		syswrite($gw, "g", 1); # the handler goes on once this copy is closed
		waitpid($pid, 0);
		exit 0;
	}
	close $gw;
	sysread($gr, my $g, 1);
	$mode = $end;
}
my $off = 0;
while ($off < length $data) {
	my $n = syswrite($c, $data, length($data) - $off, $off);
	die "write: $!" unless defined $n;
	$off += $n;
}
print "SENT $total\n";
if ($mode eq 'close') { close $c; exit 0 }
if ($mode eq 'exit1') { exit 1 }
if ($mode eq '_exit1') { POSIX::_exit(1) }
if ($mode eq 'external') { sleep 1 while 1 }
die "bad mode $mode";
