/**
 * `--format` templates: Go's text/template over JSON values with Docker's functions, and Docker's
 * table layout. Expected outputs are what Go and Docker's formatter print for the same input (checked
 * side by side against the docker CLI in test/dockerapi/format-parity.test.ts).
 */
import { describe, expect, test } from "bun:test";
import { compileTemplate, goString, renderEach, renderRows, SERVICE_FORMAT, tabwrite, type ServiceRow } from "../../internal/cli/index.ts";

const run = (t: string, data: unknown) => compileTemplate(t).execute(data);

const svc = {
  ID: "abc",
  Spec: { Name: "web", Labels: { b: "2", a: "1" }, Mode: { Replicated: { Replicas: 3 } }, TaskTemplate: { ContainerSpec: { Image: "nginx:1", Args: ["-g", "daemon off;"] } } },
  Status: { State: "ready" },
  Leader: true,
};

describe("Go template evaluation", () => {
  test.each([
    ["{{.ID}}", "abc"],
    ["{{.Spec.Name}} {{.Spec.Mode.Replicated.Replicas}}", "web 3"],
    ["{{.Spec.Labels}}", "map[a:1 b:2]"],
    ["{{.Spec.TaskTemplate.ContainerSpec.Args}}", "[-g daemon off;]"],
    ["{{json .Spec.Mode}}", '{"Replicated":{"Replicas":3}}'],
    ["{{json .Spec.TaskTemplate.ContainerSpec.Args}}", '["-g","daemon off;"]'],
    ["{{.Leader}}", "true"],
    ["{{.Spec.Nope}}", "<no value>"],
    ["{{index .Spec.Labels \"a\"}}", "1"],
    ["{{len .Spec.Labels}}/{{len .Spec.TaskTemplate.ContainerSpec.Args}}", "2/2"],
    ["{{join .Spec.TaskTemplate.ContainerSpec.Args \",\"}}", "-g,daemon off;"],
    ["{{upper .Spec.Name}} {{lower \"ABC\"}} {{title \"hello world\"}}", "WEB abc Hello World"],
    ["{{.Spec.Name | upper}}", "WEB"],
    ["{{split \"a:b:c\" \":\"}}", "[a b c]"],
    ["[{{pad .ID 2 1}}] [{{truncate .Spec.Name 2}}]", "[  abc ] [we]"],
    ["{{printf \"%-6s|%3d|%v\" .ID 7 .Leader}}", "abc   |  7|true"],
    ["{{if eq .Status.State \"ready\"}}up{{else}}down{{end}}", "up"],
    ["{{if .Missing}}a{{else if .Leader}}b{{else}}c{{end}}", "b"],
    ["{{if and .Leader (eq .ID \"abc\")}}yes{{end}}", "yes"],
    ["{{if not .Leader}}x{{else}}y{{end}}", "y"],
    ["{{range $k, $v := .Spec.Labels}}{{$k}}={{$v}};{{end}}", "a=1;b=2;"],
    ["{{range .Spec.TaskTemplate.ContainerSpec.Args}}<{{.}}>{{end}}", "<-g><daemon off;>"],
    ["{{range .Nothing}}x{{else}}empty{{end}}", "empty"],
    ["{{with .Spec.Mode.Replicated}}{{.Replicas}}{{end}}", "3"],
    ["{{$n := .Spec.Name}}{{$n}}-{{$.ID}}", "web-abc"],
    ["a  {{- .ID -}}  b", "aabcb"],
    ["{{/* a comment */}}ok", "ok"],
    ["{{(index .Spec.Labels \"b\")}}", "2"],
    ["{{\"quoted \\\"x\\\"\"}}", 'quoted "x"'],
  ])("%s", (t, want) => {
    expect(run(t, svc)).toBe(want);
  });

  test("values print as Go's %v does", () => {
    expect(goString(1e9)).toBe("1000000000");
    expect(goString(0.5)).toBe("0.5");
    expect(goString(null)).toBe("<nil>");
    expect(goString([1, "a", { z: 1, a: [] }])).toBe("[1 a map[a:[] z:1]]");
  });

  test("errors use Go's words", () => {
    expect(() => run("{{.ID", svc)).toThrow("template: unclosed action");
    expect(() => run("{{if .ID}}x", svc)).toThrow("missing {{end}}");
    expect(() => run("{{nosuch .ID}}", svc)).toThrow('function "nosuch" not defined');
    expect(() => run("{{.ID.X}}", svc)).toThrow("can't evaluate field X");
  });
});

describe("Docker's table layout", () => {
  const rows: ServiceRow[] = [
    { ID: "vdu0e04ybi4r", Name: "web", Mode: "replicated", Replicas: "3/3", Image: "swarm-busybox:latest", Ports: "*:8080->80/tcp" },
    { ID: "x1", Name: "a-much-longer-name", Mode: "global", Replicas: "1/1", Image: "nginx:1", Ports: "" },
  ];

  test("tabwriter: columns at least 10 wide, 3 spaces after the widest cell, the last cell unpadded", () => {
    expect(tabwrite("a\tbb\tc\nxxxxxxxxxxxx\ty\tz\n")).toBe("a              bb        c\nxxxxxxxxxxxx   y         z\n");
  });

  test("the default table, a table format, a plain format and {{json .}}", () => {
    expect(renderRows(undefined, rows, SERVICE_FORMAT, "service")).toBe(
      "ID             NAME                 MODE         REPLICAS   IMAGE                  PORTS\n" +
        "vdu0e04ybi4r   web                  replicated   3/3        swarm-busybox:latest   *:8080->80/tcp\n" +
        "x1             a-much-longer-name   global       1/1        nginx:1                \n",
    );
    expect(renderRows("table {{.Name}}\\t{{.Replicas}}", rows, SERVICE_FORMAT, "service")).toBe("NAME                 REPLICAS\nweb                  3/3\na-much-longer-name   1/1\n");
    expect(renderRows("{{.Name}}: {{.Replicas}}", rows, SERVICE_FORMAT, "service")).toBe("web: 3/3\na-much-longer-name: 1/1\n");
    expect(renderRows("{{json .}}", rows.slice(0, 1), SERVICE_FORMAT, "service")).toBe(
      // Docker marshals a row with Go's json.Marshal: HTML characters escaped.
      '{"ID":"vdu0e04ybi4r","Image":"swarm-busybox:latest","Mode":"replicated","Name":"web","Ports":"*:8080-\\u003e80/tcp","Replicas":"3/3"}\n',
    );
  });

  test("a field a row does not have is an error, as for Docker's structs", () => {
    expect(() => renderRows("{{.Nmae}}", rows, SERVICE_FORMAT, "service")).toThrow("can't evaluate field Nmae in type service");
  });

  test("inspect formats run on each object", () => {
    expect(renderEach("{{.Spec.Name}}", [svc, { ...svc, Spec: { ...svc.Spec, Name: "db" } }])).toBe("web\ndb\n");
  });
});
