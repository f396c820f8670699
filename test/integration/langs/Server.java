// Server.java - a Java victim server for test/integration/core_langs.sh.
//
//     java -cp DIR Server PORT BYTES MODE
//
// Speaks the protocol of test/progs/victim.c (see server.pl); ends:
//   close     conn.close(), System.exit(0)   -> FIN, every byte
//   exit1     System.exit(1), the socket open -> RST (the JVM closes no socket)
//   halt1     Runtime.halt(1)                 -> RST
//   external  wait for the test's kill -9     -> RST
// Java's close() (NioSocketImpl, JDK 13+) asks getsockopt(SO_LINGER) and,
// unless the program set a zero linger, shuts the output down first
// (shutdown(SHUT_WR)), then closes: the library's shutdown() disarms, and
// its getsockopt shows the program's own linger, not the kernel's {1,0}
// (strace of this server: getsockopt {1,0} from the kernel, then
// setsockopt {0,0}, shutdown, close).
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;

public class Server {
    public static void main(String[] a) throws Exception {
        int port = Integer.parseInt(a[0]);
        int total = Integer.parseInt(a[1]);
        String mode = a[2];
        final long k = 0x9E3779B97F4A7C15L;
        byte[] data = new byte[total];
        for (int i = 0; i < total; i++)
            data[i] = (byte) ((i * k) >>> 56);
        ServerSocket l = new ServerSocket(port, 1, InetAddress.getByName("127.0.0.1"));
        System.out.println("READY " + port);
        System.out.flush();
        Socket c = l.accept();
        l.close();
        InputStream in = c.getInputStream();
        int b;
        while ((b = in.read()) != '\n')
            if (b < 0)
                throw new RuntimeException("EOF before the request line ended");
        OutputStream out = c.getOutputStream();
        out.write(data);
        out.flush();
        System.out.println("SENT " + total);
        System.out.flush();
        switch (mode) {
        case "close": c.close(); System.exit(0);
        case "exit1": System.exit(1);
        case "halt1": Runtime.getRuntime().halt(1);
        case "external": Thread.sleep(Long.MAX_VALUE);
        default: throw new RuntimeException("bad mode " + mode);
        }
    }
}
