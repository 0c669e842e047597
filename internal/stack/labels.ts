/** The labels Docker's CLI puts on what `docker stack deploy` creates; swarm uses the same ones. */
export const STACK_LABEL = {
  /** On the service and on its containers: the stack's name. */
  namespace: "com.docker.stack.namespace",
  /** On the service: the image as the compose file wrote it. */
  image: "com.docker.stack.image",
} as const;

/** `NAME_service`, as Docker scopes a stack's objects. */
export function scopedName(namespace: string, name: string): string {
  return `${namespace}_${name}`;
}
