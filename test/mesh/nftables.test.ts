// nftables backend across 3 simulated hosts (network namespaces). Needs root; skips loudly otherwise.
import { meshScenario } from './scenario.ts';

meshScenario('nftables', 201);
