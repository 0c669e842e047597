// node_modules/.bin/bun test scripts/bench/cluster/
import { describe, expect, test } from "bun:test";
import { parseNodeLs, parseTable } from "./table.ts";

// Captured from Docker 20.10 on the test bed (docker node ls on h1).
const DOCKER_NODE_LS = `ID                            HOSTNAME   STATUS    AVAILABILITY   MANAGER STATUS   ENGINE VERSION
zc6wl9vravwou4fr6ra4h8vf7 *   h1         Ready     Active         Leader           20.10.24+dfsg1
q45hrjwslefvxyrrjc49wsdeb     h2         Ready     Active         Reachable        20.10.24+dfsg1
mpykzw9872ml7ikf2sl5of4ix     h3         Down      Active         Unreachable      20.10.24+dfsg1
wtrccj5x0njvco170hti47d8q     h4         Ready     Active                          20.10.24+dfsg1
`;

describe("parseNodeLs", () => {
  test("reads Docker's table: self marker, statuses, manager status with a space in its header", () => {
    const rows = parseNodeLs(DOCKER_NODE_LS);
    expect(rows.map((r) => [r.hostname, r.status, r.managerStatus, r.self])).toEqual([
      ["h1", "Ready", "Leader", true],
      ["h2", "Ready", "Reachable", false],
      ["h3", "Down", "Unreachable", false],
      ["h4", "Ready", "", false],
    ]);
    expect(rows[0]!.id).toBe("zc6wl9vravwou4fr6ra4h8vf7");
  });

  test("STATUS is not taken from inside MANAGER STATUS, even with one space before it", () => {
    const text = [
      "ID     HOSTNAME STATUS AVAILABILITY MANAGER STATUS ENGINE VERSION",
      "ab *   h1       Ready  Active       Leader         20.10",
      "cd     h2       Down   Active                      20.10",
    ].join("\n");
    expect(parseNodeLs(text).map((r) => [r.id, r.self, r.hostname, r.status, r.managerStatus])).toEqual([
      ["ab", true, "h1", "Ready", "Leader"],
      ["cd", false, "h2", "Down", ""],
    ]);
  });

  test("an empty output has no rows", () => {
    expect(parseNodeLs("")).toEqual([]);
  });
});

describe("parseTable", () => {
  test("values with spaces stay whole; a missing column reads as empty", () => {
    const text = "ID    NAME    NODE   CURRENT STATE\nabc   web.1   h2     Running 2 seconds ago\n";
    expect(parseTable(text, ["NAME", "NODE", "CURRENT STATE", "ERROR"])).toEqual([
      { NAME: "web.1", NODE: "h2", "CURRENT STATE": "Running 2 seconds ago", ERROR: "" },
    ]);
  });
});
