/**
 * The label `docker stack deploy` puts on a stack's services, containers, networks and volumes: the
 * stack's name. It is internal/stack's `STACK_LABEL.namespace` (swarm's own deploy uses the same),
 * not imported from there because internal/stack loads the compose parser and the spec schema, which
 * the daemon loads only when needed (test/dockerapi/stack-translate.test.ts checks the two agree).
 */
export const STACK_NAMESPACE_LABEL = "com.docker.stack.namespace";
