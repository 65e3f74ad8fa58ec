#!/usr/bin/env node
// Validate custom resources against the CRD schemas of Strimzi and the Prometheus Operator.
//
//   node deploy/k8s-tools/crd-validate/validate.mjs < objects.json
//
// stdin: a JSON array of Kubernetes objects. stdout: a JSON array with one entry per object,
// {apiVersion, kind, name, errors: [...]}; an object whose apiVersion/kind has no schema here
// is an error too. Exit 0 when every object is valid, 1 otherwise, 2 on bad input.
//
// The schemas are the packages' JSON Schema validators generated from the projects' own CRD
// files: @kubernetes-models/strimzi-kafka-operator (Strimzi 0.49 and 1.0 CRDs, kafka.strimzi.io
// v1) and @kubernetes-models/prometheus-operator (monitoring.coreos.com/v1). Install them with
// `npm ci --prefix deploy/k8s-tools/crd-validate`.
import * as strimzi from "@kubernetes-models/strimzi-kafka-operator/kafka.strimzi.io/v1";
import * as monitoring from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1";

const MODELS = {
  "kafka.strimzi.io/v1": strimzi,
  "monitoring.coreos.com/v1": monitoring,
};

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}

let objects;
try {
  objects = JSON.parse(await readStdin());
  if (!Array.isArray(objects)) throw new Error("expected a JSON array of objects");
} catch (error) {
  console.error(`crd-validate: ${error.message}`);
  process.exit(2);
}

let failed = false;
const results = objects.map((object) => {
  const { apiVersion, kind } = object;
  const name = object?.metadata?.name ?? "";
  const Model = MODELS[apiVersion]?.[kind];
  const errors = [];
  if (typeof Model !== "function") {
    errors.push(`no CRD schema here for ${apiVersion} ${kind}`);
  } else {
    try {
      new Model(object).validate();
    } catch (error) {
      errors.push(...String(error.message).split(", "));
    }
  }
  if (errors.length) failed = true;
  return { apiVersion, kind, name, errors };
});
process.stdout.write(JSON.stringify(results, null, 2) + "\n");
process.exit(failed ? 1 : 0);
