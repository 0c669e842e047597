// Typed errors of the routing mesh. Callers branch on `code`; messages say what to do next.

export type MeshErrorCode =
  | 'MESH_INVALID_INPUT'
  | 'MESH_BACKEND_UNAVAILABLE'
  | 'MESH_APPLY_FAILED'
  | 'MESH_CLOSED';

export class MeshError extends Error {
  readonly code: MeshErrorCode;

  constructor(code: MeshErrorCode, message: string) {
    super(message);
    this.name = 'MeshError';
    this.code = code;
  }

  static invalidInput(what: string): MeshError {
    return new MeshError('MESH_INVALID_INPUT', `invalid routing mesh input: ${what}; fix the service or endpoint and retry`);
  }

  static backendUnavailable(backend: string, why: string): MeshError {
    return new MeshError(
      'MESH_BACKEND_UNAVAILABLE',
      `routing mesh backend '${backend}' is unavailable: ${why}; choose another backend (auto, nftables, userspace) or install/enable it`,
    );
  }

  static applyFailed(step: string, detail: string): MeshError {
    return new MeshError(
      'MESH_APPLY_FAILED',
      `routing mesh could not apply rules (${step}): ${detail.trim()}; the previous rules stay in place, check the kernel support and retry`,
    );
  }

  static closed(): MeshError {
    return new MeshError('MESH_CLOSED', 'routing mesh is closed; create a new one with createMesh()');
  }
}
