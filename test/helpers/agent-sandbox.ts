/**
 * kubernetes-sigs/agent-sandbox's extension resources, API group
 * extensions.agents.x-k8s.io/v1alpha1, as types for checking
 * deploy/kubernetes/agent-sandbox/ (test/unit/kubernetes.test.ts). Written
 * from the project's API reference (docs/api.md in
 * https://github.com/kubernetes-sigs/agent-sandbox): every field it lists,
 * status left out (the controller writes it). Kubernetes' own types come from
 * kubernetes-types, so a pod template is checked field by field too.
 */

import type { PersistentVolumeClaimSpec, PodSpec } from "kubernetes-types/core/v1.js";
import type { ObjectMeta } from "kubernetes-types/meta/v1.js";
import type { NetworkPolicyEgressRule, NetworkPolicyIngressRule } from "kubernetes-types/networking/v1.js";

type ApiVersion = "extensions.agents.x-k8s.io/v1alpha1";

interface PodMetadata {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

interface PodTemplate {
  metadata?: PodMetadata;
  spec: PodSpec;
}

interface PersistentVolumeClaimTemplate {
  metadata?: { name?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: PersistentVolumeClaimSpec;
}

interface SandboxTemplateRef {
  name: string;
}

export interface SandboxTemplate {
  apiVersion: ApiVersion;
  kind: "SandboxTemplate";
  metadata?: ObjectMeta;
  spec: {
    podTemplate: PodTemplate;
    volumeClaimTemplates?: PersistentVolumeClaimTemplate[];
    networkPolicy?: { ingress?: NetworkPolicyIngressRule[]; egress?: NetworkPolicyEgressRule[] };
    networkPolicyManagement?: "Managed" | "Unmanaged";
    envVarsInjectionPolicy?: "Allowed" | "Overrides" | "Disallowed";
    service?: boolean;
  };
}

export interface SandboxWarmPool {
  apiVersion: ApiVersion;
  kind: "SandboxWarmPool";
  metadata?: ObjectMeta;
  spec: {
    /** Minimum 0. */
    replicas: number;
    ttlSecondsAfterCreated?: number;
    sandboxTemplateRef: SandboxTemplateRef;
    updateStrategy?: { type?: "Recreate" | "OnReplenish" };
  };
}

export interface SandboxClaim {
  apiVersion: ApiVersion;
  kind: "SandboxClaim";
  metadata?: ObjectMeta;
  spec: {
    ttlSecondsAfterCreated?: number;
    sandboxTemplateRef: SandboxTemplateRef;
    lifecycle?: { shutdownTime?: string; ttlSecondsAfterFinished?: number; shutdownPolicy?: "Delete" | "DeleteForeground" | "Retain" };
    /** "none", "default", or a warm pool's name. */
    warmpool?: string;
    additionalPodMetadata?: PodMetadata;
    env?: { name: string; value: string; containerName?: string }[];
  };
}
