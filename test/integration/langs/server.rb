# server.rb - a Ruby victim server for test/integration/core_langs.sh.
#
#     ruby server.rb PORT BYTES MODE
#
# Speaks the protocol of test/progs/victim.c (see server.pl); ends:
#   close     conn.close                    -> FIN, every byte
#   exit1     exit 1, the socket open       (Ruby finalizes its IO objects
#                                            at exit: see the test)
#   _exit1    exit! 1                       -> RST
#   external  wait for the test's kill -9   -> RST
#   fork-close, fork-_exit1  the same in a forked handler
require 'socket'

port, total, mode = ARGV[0].to_i, ARGV[1].to_i, ARGV[2]
k = 0x9E3779B97F4A7C15
mask = (1 << 64) - 1
data = Array.new(total) { |i| ((i * k) & mask) >> 56 }.pack('C*')
l = TCPServer.new('127.0.0.1', port)
$stdout.sync = true
puts "READY #{port}"
c = l.accept
l.close
req = +''
until req.end_with?("\n")
  b = c.read(1)
  abort 'EOF before the request line ended' unless b
  req << b
end
# fork-*: a forking server's handler sends (the parent closes its copy at
# once, waits for it and exits 0).
if mode.start_with?('fork-')
  gr, gw = IO.pipe
  pid = Process.fork
  if pid
    c.close
    gw.write('g') # the handler goes on once this copy is closed
    Process.wait(pid)
    exit 0
  end
  gw.close
  gr.read(1)
  mode = mode.delete_prefix('fork-')
end
c.write(data)
puts "SENT #{total}"
case mode
when 'close' then c.close; exit 0
when 'exit1' then exit 1
when '_exit1' then exit! 1
when 'external' then sleep
else abort "bad mode #{mode}"
end
