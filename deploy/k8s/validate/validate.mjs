// Validates rendered Kubernetes manifests offline: reads multi-document YAML (files named on the
// command line, or stdin), constructs each object with the model class of its apiVersion/kind
// (kubernetes-models for built-in kinds, @kubernetes-models/keda for keda.sh) and runs its JSON
// schema validation. An object of an unknown apiVersion/kind fails too, so every rendered object
// is checked. Exit 0: all valid; 1: some invalid (each printed with the error); 2: bad input.
// --self-test: checks that known-bad objects are rejected (the validator can fail).
// --spikeline-checks FILE...: spikeline's own rules (probes, resources, worker flags, GPU and
// chip pinning, autoscaler targets, selectors). --flags FILE...: "binary --flag" lines.
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { parseAllDocuments } from "yaml";

async function modelModule(apiVersion) {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  if (group === "keda.sh") return import(`@kubernetes-models/keda/keda.sh/${version}`);
  if (group === "") return import(`kubernetes-models/${version}`);
  return import(`kubernetes-models/${group}/${version}`);
}

// Returns null when valid, else the error text.
export async function validateObject(obj) {
  if (obj === null || typeof obj !== "object") return "not a mapping";
  const { apiVersion, kind } = obj;
  if (typeof apiVersion !== "string" || typeof kind !== "string") {
    return "missing apiVersion or kind";
  }
  let mod;
  try {
    mod = await modelModule(apiVersion);
  } catch (e) {
    return `unknown apiVersion ${apiVersion}`;
  }
  const Model = mod[kind];
  if (typeof Model !== "function") return `unknown kind ${kind} in ${apiVersion}`;
  try {
    new Model(obj).validate();
  } catch (e) {
    return String(e && e.message ? e.message : e);
  }
  return null;
}

function describe(obj) {
  const m = (obj && obj.metadata) || {};
  return `${obj && obj.apiVersion}/${obj && obj.kind} ${m.namespace ? m.namespace + "/" : ""}${m.name}`;
}

async function validateText(text, source) {
  const docs = parseAllDocuments(text);
  let checked = 0, failed = 0;
  for (const doc of docs) {
    if (doc.errors.length > 0) {
      console.error(`${source}: YAML error: ${doc.errors[0].message}`);
      process.exit(2);
    }
    const obj = doc.toJS();
    if (obj === null || obj === undefined) continue;
    checked++;
    const err = await validateObject(obj);
    if (err !== null) {
      failed++;
      console.error(`INVALID ${source}: ${describe(obj)}\n  error: ${err}\n  object: ${JSON.stringify(obj)}`);
    }
  }
  return { checked, failed };
}

async function selfTest() {
  const bad = [
    { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "x" },
      spec: { replicas: "three", selector: {}, template: {} } },
    { apiVersion: "v1", kind: "Service", metadata: { name: "x" },
      spec: { ports: [{ port: "http" }] } },
    { apiVersion: "keda.sh/v1alpha1", kind: "ScaledObject", metadata: { name: "x" },
      spec: { triggers: [] } },
    { apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "x" } },
  ];
  const good = { apiVersion: "v1", kind: "Namespace", metadata: { name: "ok" } };
  let ok = (await validateObject(good)) === null;
  if (!ok) console.error("self-test: a valid Namespace was rejected");
  for (const obj of bad) {
    if ((await validateObject(obj)) === null) {
      console.error(`self-test: accepted an invalid object ${JSON.stringify(obj)}`);
      ok = false;
    }
  }
  console.log(ok ? "self-test: ok" : "self-test: FAILED");
  return ok;
}

function loadObjects(path) {
  return parseAllDocuments(readFileSync(path, "utf8")).map((d) => d.toJS()).filter((o) => o);
}

// spikeline's own rules over one rendered overlay; returns the violations.
export function spikelineChecks(objects) {
  const problems = [];
  const deployments = objects.filter((o) => o.kind === "Deployment" || o.kind === "StatefulSet");
  const byName = new Map(deployments.map((d) => [d.metadata.name, d]));
  const matches = (sel, labels) =>
    Object.entries(sel || {}).every(([k, v]) => labels && labels[k] === v);
  for (const d of deployments) {
    for (const c of d.spec.template.spec.containers) {
      const where = `${d.kind} ${d.metadata.name} container ${c.name}`;
      for (const p of ["startupProbe", "readinessProbe", "livenessProbe"]) {
        if (!c[p]) problems.push(`${where}: no ${p}`);
      }
      const r = c.resources || {};
      if (!r.requests || !r.limits) problems.push(`${where}: resources need requests and limits`);
      const args = (c.args || []).join(" ");
      if ((c.command || [])[0] === "spikeline-worker") {
        for (const f of ["--broker", "--bind", "--advertise tcp://$(POD_IP):", "--metrics"]) {
          if (!args.includes(f)) problems.push(`${where}: args lack ${f}`);
        }
        if (c.readinessProbe?.httpGet?.path !== "/ready") problems.push(`${where}: readiness is not /ready`);
        const backend = d.spec.template.metadata.labels["spikeline.io/backend"];
        const gpus = (r.limits || {})["nvidia.com/gpu"];
        if ((backend === "gpu") !== (gpus !== undefined)) {
          problems.push(`${where}: nvidia.com/gpu limit exactly on gpu workers`);
        }
        const pinned = d.spec.template.spec.nodeSelector?.["spikeline.io/chip"] !== undefined ||
            (r.limits || {})["spikeline.io/chip"] !== undefined;
        if ((backend === "chip") !== pinned) problems.push(`${where}: chip pinning exactly on chip workers`);
      }
      if ((c.command || [])[0] === "spikeline-gateway" &&
          !(args.includes("--advertise tcp://$(POD_IP):") && args.includes("--bind tcp://0.0.0.0:"))) {
        problems.push(`${where}: the gateway must bind 0.0.0.0 and advertise its pod IP`);
      }
    }
  }
  for (const s of objects.filter((o) => o.kind === "ScaledObject" || o.kind === "HorizontalPodAutoscaler")) {
    const target = s.kind === "ScaledObject" ? s.spec.scaleTargetRef.name : s.spec.scaleTargetRef.name;
    if (s.kind === "ScaledObject" && !byName.has(target)) {
      problems.push(`ScaledObject ${s.metadata.name}: no Deployment ${target} in this render`);
    }
    const text = JSON.stringify(s.spec);
    if (!text.includes("spikeline_stage_queue_depth")) problems.push(`${s.kind} ${s.metadata.name}: not on queue depth`);
  }
  for (const p of objects.filter((o) => o.kind === "PodDisruptionBudget")) {
    const hit = deployments.some((d) => matches(p.spec.selector.matchLabels, d.spec.template.metadata.labels));
    if (!hit) problems.push(`PodDisruptionBudget ${p.metadata.name}: selects no pods`);
  }
  for (const s of objects.filter((o) => o.kind === "Service" && o.spec.selector)) {
    const hit = deployments.some((d) => matches(s.spec.selector, d.spec.template.metadata.labels));
    if (!hit) problems.push(`Service ${s.metadata.name}: selects no pods`);
  }
  const redis = objects.find((o) => o.kind === "StatefulSet");
  if (redis && !(redis.spec.volumeClaimTemplates?.length > 0 &&
                 redis.spec.template.spec.containers[0].args.includes("--appendonly"))) {
    problems.push("redis StatefulSet: needs a PVC and AOF");
  }
  const broker = byName.get("spikeline-broker");
  if (broker && broker.spec.replicas !== 1) problems.push("broker: exactly one replica");
  return problems;
}

// "binary --flag" for every flag the spikeline containers pass (to check against --help).
function flagsOf(objects) {
  const out = new Set();
  for (const o of objects) {
    for (const c of o.spec?.template?.spec?.containers || []) {
      const bin = (c.command || [])[0];
      if (!bin || !bin.startsWith("spikeline")) continue;
      for (const a of c.args || []) if (a.startsWith("--")) out.add(`${bin} ${a}`);
    }
  }
  return [...out].sort();
}

async function main() {
  const args = process.argv.slice(2);
  if (args[0] === "--self-test") process.exit((await selfTest()) ? 0 : 1);
  if (args[0] === "--flags") {
    for (const line of flagsOf(args.slice(1).flatMap(loadObjects))) console.log(line);
    process.exit(0);
  }
  if (args[0] === "--spikeline-checks") {
    const problems = spikelineChecks(args.slice(1).flatMap(loadObjects));
    for (const p of problems) console.error(`CHECK ${p}`);
    console.log(`spikeline checks: ${problems.length} problems`);
    process.exit(problems.length === 0 ? 0 : 1);
  }
  const inputs = args.length > 0 ? args : ["/dev/stdin"];
  let checked = 0, failed = 0;
  for (const path of inputs) {
    const r = await validateText(readFileSync(path, "utf8"), path === "/dev/stdin" ? "stdin" : path);
    checked += r.checked;
    failed += r.failed;
  }
  if (checked === 0) {
    console.error("no objects to validate");
    process.exit(2);
  }
  console.log(`${checked} objects, ${failed} invalid`);
  process.exit(failed === 0 ? 0 : 1);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
