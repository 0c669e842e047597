// The only way kernel backends touch the system: run a command with optional stdin. The real runner
// spawns processes; the recording twin returns scripted answers and keeps the exact commands, which
// is how unit tests check command generation and how the IPVS VM test replays our commands.

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CommandRunner {
  run(argv: string[], stdin?: string): Promise<CommandResult>;
}

/** Spawns argv[0] from PATH (plus /usr/sbin and /sbin, where nft and ipvsadm live). */
export function spawnRunner(): CommandRunner {
  const path = `${process.env.PATH ?? ''}:/usr/sbin:/sbin`;
  return {
    async run(argv, stdin) {
      let proc;
      try {
        proc = Bun.spawn(argv, {
          stdin: stdin === undefined ? 'ignore' : new TextEncoder().encode(stdin),
          stdout: 'pipe',
          stderr: 'pipe',
          env: { ...process.env, PATH: path },
        });
      } catch (e) {
        // Executable not found: report it like a shell would.
        return { code: 127, stdout: '', stderr: `${argv[0]}: ${(e as Error).message}` };
      }
      const [stdout, stderr, code] = await Promise.all([
        new Response(proc.stdout).text(),
        new Response(proc.stderr).text(),
        proc.exited,
      ]);
      return { code, stdout, stderr };
    },
  };
}

export interface RecordedCommand {
  argv: string[];
  stdin?: string;
  /** The exit status the runner answered (toShellScript checks the replay gets the same). */
  code?: number;
}

/**
 * In-memory twin: records every command; `answer` decides the result (default: success, no output).
 */
export class RecordingRunner implements CommandRunner {
  readonly commands: RecordedCommand[] = [];
  constructor(private readonly answer: (argv: string[], stdin?: string) => CommandResult = () => ({ code: 0, stdout: '', stderr: '' })) {}

  async run(argv: string[], stdin?: string): Promise<CommandResult> {
    const result = this.answer(argv, stdin);
    this.commands.push(stdin === undefined ? { argv: [...argv], code: result.code } : { argv: [...argv], stdin, code: result.code });
    return result;
  }
}

/**
 * Renders recorded commands as a POSIX shell script (stdin passed as a quoted heredoc), e.g. to replay
 * them inside a VM that has the tools but no Bun. Each command must exit with the status recorded
 * (0 when unknown): the replay stops at the first difference, since later commands were planned on it.
 */
export function toShellScript(commands: RecordedCommand[]): string {
  const q = (s: string): string => (/^[A-Za-z0-9_./:=@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  const lines: string[] = [];
  commands.forEach((c, i) => {
    const cmd = c.argv.map(q).join(' ');
    if (c.stdin === undefined) lines.push(cmd);
    else lines.push(`${cmd} <<'SWARM_EOF_${i}'`, c.stdin.replace(/\n$/, ''), `SWARM_EOF_${i}`);
    const want = c.code ?? 0;
    lines.push(`rc=$?; [ $rc -eq ${want} ] || { echo "replay: expected exit ${want}, got $rc: ${cmd.replace(/["$`\\]/g, '')}" >&2; exit 1; }`);
  });
  return lines.join('\n') + '\n';
}
