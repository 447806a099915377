import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy on 127.0.0.1 in front of another host:port (PostgreSQL), under the test's control:
 * `cut()` ends every connection through it at once (a terminated backend, a failover, a pooler
 * restart), `refuse()` makes it close every new connection as it arrives (a database that is down),
 * `accept()` lets them through again. `hold()` keeps new connections open and unanswered (a
 * connect in flight) until `release()` lets them through or `cut()` ends them. `connections`
 * counts those accepted while not refusing.
 */
export class TcpProxy {
  private readonly pairs = new Set<Socket>();
  private refusing = false;
  private holding = false;
  /** Connections kept unanswered while holding. */
  private readonly held = new Set<Socket>();
  connections = 0;
  /** Connections closed on arrival while refusing. */
  refused = 0;

  private constructor(
    private readonly server: Server,
    private readonly target: { host: string; port: number },
  ) {}

  static async start(target: { host: string; port: number }, opts: { refusing?: boolean } = {}): Promise<TcpProxy> {
    let self: TcpProxy | undefined;
    const server = createServer((client) => self?.handle(client));
    self = new TcpProxy(server, target);
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

  /** Connections open through the proxy now (held ones included). */
  get open(): number {
    return this.pairs.size / 2 + this.held.size;
  }

  /** Connections being held unanswered now. */
  get holdingNow(): number {
    return this.held.size;
  }

  private handle(client: Socket): void {
    if (this.refusing) {
      this.refused++;
      client.destroy();
      return;
    }
    this.connections++;
    if (this.holding) {
      this.held.add(client);
      client.on('error', () => client.destroy());
      client.on('close', () => this.held.delete(client));
      return;
    }
    this.through(client);
  }

  private through(client: Socket): void {
    const upstream = createConnection(this.target);
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

  /** Ends every connection now, held ones too; returns how many were open. */
  cut(): number {
    const n = this.open;
    for (const s of [...this.pairs, ...this.held]) s.destroy();
    this.pairs.clear();
    this.held.clear();
    return n;
  }

  /** From now on new connections are kept open and unanswered, and the open ones are cut. */
  hold(): void {
    this.holding = true;
    this.cut();
  }

  /** The held connections go through, and new ones from now on. */
  release(): void {
    this.holding = false;
    const held = [...this.held];
    this.held.clear();
    for (const c of held) {
      c.removeAllListeners('close');
      c.removeAllListeners('error');
      this.through(c);
    }
  }

  /** From now on new connections are closed as they arrive, and the open ones are cut. */
  refuse(): void {
    this.refusing = true;
    this.cut();
  }

  accept(): void {
    this.refusing = false;
    this.holding = false;
  }

  async close(): Promise<void> {
    this.refuse();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
