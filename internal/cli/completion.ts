/**
 * `swarm completion bash|zsh|fish`: shell completion generated from the command tree (commands, their
 * flags, known flag values), with service and node names asked of the agent as you type
 * (`swarm service ls --format '{{.Name}}'`, `swarm node ls --format '{{.Hostname}}'`). zsh uses the
 * bash function through bashcompinit. Pure: the command gathers the tree.
 */

export interface CommandInfo {
  name: string;
  summary: string;
  /** Long flag names (without --), and their short letters. */
  flags: { name: string; short?: string; bool: boolean }[];
  /** What positional arguments name: services, nodes, or nothing known. */
  args?: "service" | "node" | "shell";
}

export interface CommandTree {
  top: CommandInfo[];
  groups: Record<string, { summary: string; commands: CommandInfo[] }>;
}

/** Values offered after these flags. */
const FLAG_VALUES: Record<string, string[]> = {
  availability: ["active", "pause", "drain"],
  role: ["worker", "manager"],
  "mesh-backend": ["auto", "ipvs", "nftables", "userspace"],
  mode: ["replicated", "global"],
  "restart-condition": ["none", "on-failure", "any"],
  format: ["json", "table"],
};

const words = (xs: string[]) => xs.join(" ");

function flagWords(c: CommandInfo): string {
  return words(c.flags.flatMap((f) => [`--${f.name}`, ...(f.short ? [`-${f.short}`] : [])]));
}

function valueFlags(c: CommandInfo): string[] {
  return c.flags.filter((f) => !f.bool).flatMap((f) => [`--${f.name}`, ...(f.short ? [`-${f.short}`] : [])]);
}

export function bashCompletion(t: CommandTree): string {
  const cases: string[] = [];
  const cmdCase = (key: string, c: CommandInfo) => {
    const values = c.flags.filter((f) => FLAG_VALUES[f.name]).map((f) => `        --${f.name}) COMPREPLY=($(compgen -W "${words(FLAG_VALUES[f.name]!)}" -- "$cur")); return ;;`);
    const takes = valueFlags(c);
    const args =
      c.args === "service" ? `COMPREPLY=($(compgen -W "$(_swarm_names service)" -- "$cur"))` :
      c.args === "node" ? `COMPREPLY=($(compgen -W "self $(_swarm_names node)" -- "$cur"))` :
      c.args === "shell" ? `COMPREPLY=($(compgen -W "bash zsh fish" -- "$cur"))` : `COMPREPLY=()`;
    cases.push(
      `    "${key}")`,
      `      case "$prev" in`,
      ...values,
      ...(takes.length ? [`        ${takes.join("|")}) COMPREPLY=(); return ;;`] : []),
      `      esac`,
      `      if [[ "$cur" == -* ]]; then COMPREPLY=($(compgen -W "${flagWords(c)} --help" -- "$cur")); else ${args}; fi`,
      `      ;;`,
    );
  };
  for (const c of t.top) cmdCase(c.name, c);
  for (const [g, grp] of Object.entries(t.groups)) for (const c of grp.commands) cmdCase(`${g} ${c.name}`, c);
  const groupCases = Object.entries(t.groups).map(([g, grp]) => `    "${g}") COMPREPLY=($(compgen -W "${words(grp.commands.map((c) => c.name))}" -- "$cur")) ;;`);
  return `# swarm completion for bash. Load it with: source <(swarm completion bash)
# or install it: swarm completion bash > /etc/bash_completion.d/swarm
_swarm_names() {
  local host=()
  [[ -n "$_swarm_host" ]] && host=(-H "$_swarm_host")
  if [[ "$1" == service ]]; then swarm "\${host[@]}" service ls --format '{{.Name}}' 2>/dev/null
  else swarm "\${host[@]}" node ls --format '{{.Hostname}}' 2>/dev/null; fi
}

_swarm() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}"
  local i w path=() _swarm_host=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    if [[ "$w" == -H || "$w" == --host ]]; then _swarm_host="\${COMP_WORDS[i+1]}"; ((i++)); continue; fi
    [[ "$w" == -* ]] && continue
    if [[ \${#path[@]} -eq 0 ]]; then path=("$w")
    elif [[ \${#path[@]} -eq 1 && " ${words(Object.keys(t.groups))} " == *" \${path[0]} "* ]]; then path+=("$w"); break
    else break; fi
  done
  if [[ "$prev" == -H || "$prev" == --host ]]; then COMPREPLY=($(compgen -W "unix:///run/swarm/swarm.sock" -- "$cur")); return; fi
  if [[ \${#path[@]} -eq 0 ]]; then
    if [[ "$cur" == -* ]]; then COMPREPLY=($(compgen -W "-H --host -v --version -h --help" -- "$cur"))
    else COMPREPLY=($(compgen -W "${words([...Object.keys(t.groups), ...t.top.map((c) => c.name)])}" -- "$cur")); fi
    return
  fi
  if [[ \${#path[@]} -eq 1 ]]; then
    case "\${path[0]}" in
${groupCases.join("\n")}
    esac
    [[ -n "\${COMPREPLY[*]}" || " ${words(Object.keys(t.groups))} " == *" \${path[0]} "* ]] && return
  fi
  case "\${path[*]}" in
${cases.join("\n")}
  esac
}
complete -F _swarm swarm
`;
}

export function zshCompletion(t: CommandTree): string {
  return `#compdef swarm
# swarm completion for zsh (the bash completion through bashcompinit). Load it with:
#   source <(swarm completion zsh)
autoload -U +X compinit && compinit
autoload -U +X bashcompinit && bashcompinit
${bashCompletion(t)}`;
}

export function fishCompletion(t: CommandTree): string {
  const esc = (s: string) => s.replace(/\\/g, "\\\\").replace(/'/g, "\\'");
  const groups = Object.keys(t.groups);
  const lines = [
    "# swarm completion for fish. Load it with: swarm completion fish | source",
    "# or install it: swarm completion fish > ~/.config/fish/completions/swarm.fish",
    "complete -c swarm -f",
    "complete -c swarm -s H -l host -r -d 'Agent socket'",
    ...groups.map((g) => `complete -c swarm -n '__fish_use_subcommand' -a ${g} -d '${esc(t.groups[g]!.summary)}'`),
    ...t.top.map((c) => `complete -c swarm -n '__fish_use_subcommand' -a ${c.name} -d '${esc(c.summary)}'`),
  ];
  const flagLines = (cond: string, c: CommandInfo) => {
    for (const f of c.flags) {
      const vals = FLAG_VALUES[f.name];
      lines.push(`complete -c swarm -n '${cond}' -l ${f.name}${f.short ? ` -s ${f.short}` : ""}${f.bool ? "" : vals ? ` -x -a '${vals.join(" ")}'` : " -r"}`);
    }
    if (c.args === "service") lines.push(`complete -c swarm -n '${cond}' -a "(swarm service ls --format '{{.Name}}' 2>/dev/null)"`);
    if (c.args === "node") lines.push(`complete -c swarm -n '${cond}' -a "self (swarm node ls --format '{{.Hostname}}' 2>/dev/null)"`);
    if (c.args === "shell") lines.push(`complete -c swarm -n '${cond}' -a 'bash zsh fish'`);
  };
  for (const c of t.top) flagLines(`__fish_seen_subcommand_from ${c.name}; and not __fish_seen_subcommand_from ${groups.join(" ")}`, c);
  for (const [g, grp] of Object.entries(t.groups)) {
    const names = grp.commands.map((c) => c.name).join(" ");
    lines.push(`complete -c swarm -n '__fish_seen_subcommand_from ${g}; and not __fish_seen_subcommand_from ${names}' -a '${names}'`);
    for (const c of grp.commands) flagLines(`__fish_seen_subcommand_from ${g}; and __fish_seen_subcommand_from ${c.name}`, c);
  }
  return lines.join("\n") + "\n";
}

/** Flags as `usage()` prints them: `  -q, --quiet …` or `      --name string …`. */
export function flagsFromUsage(usageText: string): CommandInfo["flags"] {
  const out: CommandInfo["flags"] = [];
  for (const line of usageText.split("\n")) {
    const m = /^\s+(?:-(\w), )?\s*--([\w-]+)(\s+\S+)?\s{2,}/.exec(line) ?? /^\s+(?:-(\w), )?\s*--([\w-]+)(\s+\S+)?$/.exec(line);
    if (m && m[2] !== "help") out.push({ name: m[2]!, ...(m[1] ? { short: m[1] } : {}), bool: m[3] === undefined });
  }
  return out;
}
