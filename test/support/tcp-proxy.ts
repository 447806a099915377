import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy on 127.0.0.1 in front of another host:port (PostgreSQL), under the test's control:
 * `cut()` ends every connection through it at once (a terminated backend, a failover, a pooler
 * restart), `refuse()` makes it close every new connection as it arrives (a database that is down),
 * `accept()` lets them through again. `connections` counts those accepted while not refusing.
 */
export class TcpProxy {
  private readonly pairs = new Set<Socket>();
  private refusing = false;
  connections = 0;
  /** Connections closed on arrival while refusing. */
  refused = 0;

  private constructor(private readonly server: Server) {}

  static async start(target: { host: string; port: number }, opts: { refusing?: boolean } = {}): Promise<TcpProxy> {
    let self: TcpProxy | undefined;
    const server = createServer((client) => self?.handle(client, target));
    self = new TcpProxy(server);
    self.refusing = opts.refusing === true;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return self;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** The same URL with its host and port replaced by this proxy's. */
  url(through: string): string {
    const u = new URL(through);
    u.hostname = '127.0.0.1';
    u.port = String(this.port);
    return u.toString();
  }

  private handle(client: Socket, target: { host: string; port: number }): void {
    if (this.refusing) {
      this.refused++;
      client.destroy();
      return;
    }
    this.connections++;
    const upstream = createConnection(target);
    for (const [a, b] of [[client, upstream], [upstream, client]] as const) {
      this.pairs.add(a);
      a.on('error', () => b.destroy());
      a.on('close', () => {
        this.pairs.delete(a);
        b.destroy();
      });
      a.pipe(b);
    }
  }

  /** Ends every connection now; returns how many were open. */
  cut(): number {
    const n = this.pairs.size / 2;
    for (const s of this.pairs) s.destroy();
    this.pairs.clear();
    return n;
  }

  /** From now on new connections are closed as they arrive, and the open ones are cut. */
  refuse(): void {
    this.refusing = true;
    this.cut();
  }

  accept(): void {
    this.refusing = false;
  }

  async close(): Promise<void> {
    this.refuse();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
