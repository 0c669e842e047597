// Userspace backend across 3 simulated hosts (network namespaces). Needs root for the namespaces.
import { meshScenario } from './scenario.ts';

meshScenario('userspace', 202);
