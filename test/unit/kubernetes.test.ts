/**
 * deploy/kubernetes/ holds manifests no cluster here can apply: they are
 * validated against the Kubernetes and agent-sandbox schemas
 * (test/helpers/manifests.ts), which refuse a wrong type and an unknown
 * field, and they run the image as the container suite does.
 */
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import type { Deployment } from "kubernetes-types/apps/v1.js";
import type { Container, PodSpec } from "kubernetes-types/core/v1.js";
import type { SandboxTemplate } from "../helpers/agent-sandbox.js";
import { type Manifest, readManifests, validateManifests } from "../helpers/manifests.js";

const DIR = fileURLToPath(new URL("../../deploy/kubernetes", import.meta.url));
const FILES = readdirSync(DIR, { recursive: true, encoding: "utf8" })
  .filter((f) => f.endsWith(".yaml"))
  .map((f) => join(DIR, f))
  .sort();
const MANIFESTS = readManifests(FILES);

const of = (kind: string) => MANIFESTS.filter((m) => m.object.kind === kind);
const podSpecs = (): { where: string; pod: PodSpec }[] => [
  ...of("Deployment").map((m) => ({ where: m.where, pod: (m.object as unknown as Deployment).spec!.template.spec! })),
  ...of("SandboxTemplate").map((m) => ({
    where: m.where,
    pod: (m.object as unknown as SandboxTemplate).spec.podTemplate.spec,
  })),
];
/** A deep copy with one change. */
// biome-ignore lint/suspicious/noExplicitAny: each case edits a different path
const edited = (m: Manifest, edit: (o: any) => void): Manifest => {
  const object = structuredClone(m.object);
  edit(object);
  return { where: m.where, object };
};

describe("Kubernetes manifests (deploy/kubernetes)", () => {
  it("every manifest validates: a Secret, a Deployment and a Service; an agent-sandbox template, warm pool and claim", () => {
    assert.deepEqual(validateManifests(MANIFESTS), []);
    assert.deepEqual(
      MANIFESTS.map((m) => m.object.kind),
      ["SandboxClaim", "SandboxTemplate", "SandboxWarmPool", "Secret", "Deployment", "Service"],
    );
  });

  it("the validator refuses an unknown field, a wrong type and a bad enum, naming where", () => {
    const deployment = of("Deployment")[0];
    const template = of("SandboxTemplate")[0];
    const cases: [Manifest, RegExp][] = [
      [
        edited(deployment, (o) => (o.spec.template.spec.containers[0].securityContext.readOnlyRootFS = true)),
        /'"readOnlyRootFS"' does not exist in type 'SecurityContext'/,
      ],
      [edited(deployment, (o) => (o.spec.template.spec.containers[0].ports[0].containerPort = "7000")), /containerPort must be integer/],
      [edited(deployment, (o) => (o.spec.strategy.type = "Rolling")), /strategy\/type must be equal to one of the allowed values/],
      [edited(template, (o) => (o.spec.warmPool = 4)), /'"warmPool"' does not exist/],
      [
        edited(template, (o) => (o.spec.podTemplate.spec.containers[0].readinessProbe.httpGet.port = true)),
        /SandboxTemplate desktopd.*httpGet\/port must match exactly one schema/,
      ],
      [edited(of("SandboxWarmPool")[0], (o) => delete o.spec.replicas), /'replicas' is missing/],
      [edited(of("SandboxClaim")[0], (o) => (o.spec.lifecycle = { shutdownPolicy: "Never" })), /"Never"' is not assignable/],
      [{ where: "x", object: { apiVersion: "extensions.agents.x-k8s.io/v9", kind: "SandboxClaim" } }, /no schema for apiVersion/],
    ];
    for (const [manifest, problem] of cases) {
      const problems = validateManifests([manifest]);
      assert.ok(
        problems.some((p) => problem.test(p)),
        `${problem}: ${problems.join("\n")}`,
      );
    }
  });

  it("pods run hardened, as the container suite runs the image: user 65534, no capabilities, read-only root, /tmp and /data writable", () => {
    for (const { where, pod } of podSpecs()) {
      assert.equal(pod.automountServiceAccountToken, false, where);
      assert.deepEqual(
        [pod.securityContext?.runAsNonRoot, pod.securityContext?.runAsUser, pod.securityContext?.seccompProfile?.type],
        [true, 65534, "RuntimeDefault"],
        where,
      );
      const c = pod.containers[0] as Container;
      assert.deepEqual(
        [c.securityContext?.allowPrivilegeEscalation, c.securityContext?.readOnlyRootFilesystem, c.securityContext?.capabilities?.drop],
        [false, true, ["ALL"]],
        where,
      );
      assert.deepEqual(c.volumeMounts?.map((v) => v.mountPath).sort(), ["/data", "/run/secrets/desktopd", "/tmp"], where);
    }
  });

  it("probes: startup and liveness on /healthz, readiness on /readyz, all without a token", () => {
    for (const { where, pod } of podSpecs()) {
      const c = pod.containers[0] as Container;
      assert.deepEqual(
        [c.startupProbe?.httpGet?.path, c.livenessProbe?.httpGet?.path, c.readinessProbe?.httpGet?.path],
        ["/healthz", "/healthz", "/readyz"],
        where,
      );
      assert.ok(!JSON.stringify(c).includes("Authorization"), where);
      assert.ok(c.resources?.requests?.memory && c.resources.limits?.memory, `${where}: memory request and limit`);
    }
  });
});
