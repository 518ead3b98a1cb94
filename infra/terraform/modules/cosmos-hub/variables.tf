# The variables every nodeplane profile module takes (infra/terraform/README.md), then this profile's own.
# Validation and the shared defaults are in ../_node-host-aws/variables.tf; the defaults here are this profile's.

variable "node_id" {
  description = "The nodeplane node id (one NATS subject token); names and tags every resource."
  type        = string
}

variable "region" {
  description = "AWS region; the root module's provider block uses the same value."
  type        = string
}

variable "instance_type" {
  description = "EC2 instance type from the chain profile's placement (m6i.xlarge for a full node)."
  type        = string
}

variable "agent_bootstrap_token" {
  description = "One-time token the agent redeems at the agent gateway for its NATS credentials."
  type        = string
  sensitive   = true
  nullable    = false
}

variable "agent_bootstrap_creds" {
  description = "This host's bootstrap user (.creds): may only ask agent.<node_id>.bootstrap; deleted once used."
  type        = string
  sensitive   = true
  nullable    = false
}

variable "leaf_agent_creds" {
  description = "The AGENT remote user of this host's leaf server (.creds), for this node only; the host rotates it at once."
  type        = string
  sensitive   = true
  nullable    = false
}

variable "leaf_system_creds" {
  description = "The SYS remote user of this host's leaf server (.creds): account lookups only; the host rotates it at once."
  type        = string
  sensitive   = true
  nullable    = false
}

variable "hub_leaf_url" {
  description = "The control plane hub's leaf-node URL (tls://host:17422 in operator mode)."
  type        = string
}

variable "ssh_key_name" {
  description = "An EC2 key pair for break-glass access through SSM or a bastion; no SSH port is opened either way."
  type        = string
  default     = null
}

variable "subnet_id" {
  description = "Subnet of the instance; null places it in a default subnet of the default VPC."
  type        = string
  default     = null
}

variable "ami_id" {
  description = "The machine image; null picks the newest Ubuntu 24.04 LTS (amd64) published by Canonical."
  type        = string
  default     = null
}

variable "data_volume_size_gb" {
  description = "The chain data volume: about 1 TB for a pruned full node state-synced from a snapshot, several TB for an archive node; 500 to 16384 GB."
  type        = number
  default     = 1000
}

variable "data_volume_iops" {
  description = "gp3 IOPS of the data volume; CometBFT and the IAVL store are bound by random reads."
  type        = number
  default     = 6000
}

variable "data_volume_throughput" {
  description = "gp3 throughput of the data volume in MiB/s."
  type        = number
  default     = 250
}

variable "agent_package_url" {
  description = "https URL of the nodeplane host package installed at first boot; null is nodeplane's download."
  type        = string
  default     = null
}

variable "agent_package_sha256" {
  description = "sha256 of agent_package_url (64 lowercase hex digits); required (nodeplane passes INFRA_PROVIDER_TERRAFORM_AGENT_PACKAGE_SHA256): the first boot refuses a package that does not match."
  type        = string
  nullable    = false
}
