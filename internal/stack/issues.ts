/**
 * Everything wrong with a set of compose files, collected before anything is deployed: errors (each
 * with file, line and column) and warnings (keys swarm ignores, named with their service). Loading
 * goes on after an error so that one run reports every problem it can, up to a cap.
 */
import { SwarmError } from "../api/index.ts";

export interface Pos {
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  col: number;
}

export interface Issue {
  pos: Pos;
  message: string;
}

/** At most this many errors are listed in one message (the rest are counted). */
export const MAX_LISTED_ERRORS = 20;

export function posText(p: Pos): string {
  return `${p.file}:${p.line}:${p.col}`;
}

export class StackIssues {
  readonly errors: Issue[] = [];
  readonly warnings: string[] = [];

  /** `files`: the compose files in -c order, the order errors are listed in (others come first). */
  constructor(readonly files: readonly string[] = []) {}

  /** The same error at the same place is kept once (an anchor used by several services). */
  error(pos: Pos, message: string): void {
    if (this.errors.some((e) => e.message === message && posText(e.pos) === posText(pos))) return;
    this.errors.push({ pos, message });
  }

  warn(message: string): void {
    if (!this.warnings.includes(message)) this.warnings.push(message);
  }

  /** Throws SwarmError INVALID_ARGUMENT listing every error as `file:line:column: message`, if any. */
  throwIfAny(): void {
    if (this.errors.length === 0) return;
    throw stackError(this.errors, this.files);
  }
}

export function stackError(errors: Issue[], files: readonly string[] = []): SwarmError {
  const rank = (f: string) => files.indexOf(f);
  const sorted = [...errors].sort((a, b) => rank(a.pos.file) - rank(b.pos.file) || a.pos.line - b.pos.line || a.pos.col - b.pos.col);
  const shown = sorted.slice(0, MAX_LISTED_ERRORS).map((e) => `${posText(e.pos)}: ${e.message}`);
  const more = sorted.length > MAX_LISTED_ERRORS ? [`(and ${sorted.length - MAX_LISTED_ERRORS} more)`] : [];
  const head = errors.length === 1 ? "the compose file is invalid; nothing was deployed:" : `the compose files have ${errors.length} errors; nothing was deployed:`;
  const err = SwarmError.invalid([head, ...shown, ...more].join("\n  "));
  return new SwarmError(err.code, err.message, { issues: sorted.map((e) => ({ ...e.pos, message: e.message })) });
}
