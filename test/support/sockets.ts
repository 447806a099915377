import { readdir, readFile, readlink } from 'node:fs/promises';

/**
 * Which process holds the client end of each TCP connection to a local server, from the kernel:
 * /proc/net/tcp{,6} gives each connection's socket inode by its client port, and the inode is found
 * among the processes' file descriptors (/proc/<pid>/fd). Different processes never share these
 * sockets, so this tells which worker sent a request. Linux only.
 *
 * Returns client port -> pid, for the connections to `serverPort` held by one of `pids`.
 */
export async function connectionOwners(serverPort: number, pids: number[]): Promise<Map<number, number>> {
  const inodeByClientPort = new Map<number, string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await readFile(table, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      const local = parseInt(f[1].split(':')[1], 16);
      const remote = parseInt(f[2].split(':')[1], 16);
      if (remote === serverPort && f[9] !== '0') inodeByClientPort.set(local, f[9]);
    }
  }
  const pidByInode = new Map<string, number>();
  for (const pid of pids) {
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      const link = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
      const m = /^socket:\[(\d+)\]$/.exec(link);
      if (m) pidByInode.set(m[1], pid);
    }
  }
  const out = new Map<number, number>();
  for (const [port, inode] of inodeByClientPort) {
    const pid = pidByInode.get(inode);
    if (pid !== undefined) out.set(port, pid);
  }
  return out;
}
