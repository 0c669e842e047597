/**
 * Docker image references: `[domain/]path[:tag][@digest]`, validated with Docker's grammar
 * (distribution/reference): lowercase path components separated by `/`, components made of [a-z0-9]
 * joined by `.`, `_`, `__` or dashes; tag `[\w][\w.-]{0,127}`; digest `sha256:<64 hex>`; whole name at
 * most 255 characters. The first component is a domain when it contains `.` or `:`, or is `localhost`.
 *
 * Pure functions; errors are SwarmError INVALID_ARGUMENT whose message starts with
 * `invalid reference format`, like Docker's.
 */
import { SwarmError } from "../api/index.ts";

export interface ImageRef {
  /** Repository name including the domain, e.g. `registry:5000/team/app` or `busybox`. */
  name: string;
  tag?: string;
  digest?: string;
  domain?: string;
}

const DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const DOMAIN_RE = new RegExp(`^${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*(?::[0-9]+)?$`);
const PATH_COMPONENT_RE = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG_RE = /^[\w][\w.-]{0,127}$/;
const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;
const NAME_MAX = 255;

function bad(ref: string, why: string): SwarmError {
  return SwarmError.invalid(
    `invalid reference format: ${why} in image "${ref}"; use NAME[:TAG][@sha256:DIGEST], e.g. busybox:latest`,
  );
}

/** Parses and validates an image reference; throws SwarmError INVALID_ARGUMENT when it is not valid. */
export function parseImageRef(ref: string): ImageRef {
  if (ref === "") throw bad(ref, "empty reference");
  if (/\s/.test(ref)) throw bad(ref, "whitespace is not allowed");
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST_RE.test(digest)) throw bad(ref, "digest must be sha256: followed by 64 lowercase hex digits");
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf("/");
  const colon = rest.lastIndexOf(":");
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG_RE.test(tag)) throw bad(ref, `tag "${tag}" must match [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`);
  }
  if (rest === "") throw bad(ref, "missing repository name");
  if (rest.length > NAME_MAX) throw bad(ref, `repository name longer than ${NAME_MAX} characters`);
  const parts = rest.split("/");
  let domain: string | undefined;
  const first = parts[0]!;
  if (parts.length > 1 && (first.includes(".") || first.includes(":") || first === "localhost")) {
    if (!DOMAIN_RE.test(first)) throw bad(ref, `registry "${first}" is not a valid host[:port]`);
    domain = first;
    parts.shift();
  }
  for (const p of parts) {
    if (p === "") throw bad(ref, "empty path component");
    if (!PATH_COMPONENT_RE.test(p)) {
      if (PATH_COMPONENT_RE.test(p.toLowerCase())) throw bad(ref, "repository name must be lowercase");
      throw bad(ref, `path component "${p}" may hold only a-z, 0-9 and single separators . _ __ -`);
    }
  }
  const out: ImageRef = { name: rest };
  if (tag !== undefined) out.tag = tag;
  if (digest !== undefined) out.digest = digest;
  if (domain !== undefined) out.domain = domain;
  return out;
}

/** Formats a parsed reference back to `name[:tag][@digest]`. */
export function formatImageRef(r: ImageRef): string {
  return `${r.name}${r.tag !== undefined ? `:${r.tag}` : ""}${r.digest !== undefined ? `@${r.digest}` : ""}`;
}

/** Validates and adds the default tag `latest` when there is neither tag nor digest. */
export function normalizeImage(ref: string): string {
  const r = parseImageRef(ref);
  if (r.tag === undefined && r.digest === undefined) r.tag = "latest";
  return formatImageRef(r);
}

/** True when `ref` is a valid reference (never throws). */
export function isValidImageRef(ref: string): boolean {
  try {
    parseImageRef(ref);
    return true;
  } catch {
    return false;
  }
}
