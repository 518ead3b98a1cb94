# What the profile module decides: which chain (tags, descriptions), its p2p ports and its data volume.

variable "chain_profile_id" {
  description = "The chain profile the host serves; tags every resource (nodeplane:chain-profile)."
  type        = string
}

variable "chain_name" {
  description = "The chain's name for people, in the security group's description (\"Cosmos Hub\")."
  type        = string
}

variable "p2p_ports" {
  description = "The ports opened inbound from anywhere (IPv4 and IPv6); nothing else is."
  type = list(object({
    port     = number
    protocol = string # tcp or udp
    what     = string # the rule's description
  }))

  validation {
    condition     = alltrue([for p in var.p2p_ports : contains(["tcp", "udp"], p.protocol) && p.port >= 1 && p.port <= 65535])
    error_message = "p2p_ports: each port must be 1-65535, tcp or udp."
  }
}

variable "data_volume_size_gb" {
  description = "Size of the chain data volume (the profile module sets its default)."
  type        = number

  validation {
    condition     = var.data_volume_size_gb >= 500 && var.data_volume_size_gb <= 16384
    error_message = "data_volume_size_gb must be between 500 and 16384."
  }
}

variable "data_volume_iops" {
  description = "gp3 IOPS of the data volume (the profile module sets its default)."
  type        = number
}

variable "data_volume_throughput" {
  description = "gp3 throughput of the data volume in MiB/s (the profile module sets its default)."
  type        = number
}

# What every profile module takes from the provider's root module (infra/terraform/README.md) and passes on.

variable "node_id" {
  description = "The nodeplane node id (one NATS subject token); names and tags every resource."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_:-]{1,128}$", var.node_id))
    error_message = "node_id must be one subject token: letters, digits, _ - : (at most 128)."
  }
}

variable "instance_type" {
  description = "EC2 instance type from the chain profile's placement."
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

  validation {
    condition     = can(regex("^(nats|tls|wss?)://[A-Za-z0-9.-]+(:[0-9]{1,5})?/?$", var.hub_leaf_url))
    error_message = "hub_leaf_url must be nats://, tls:// or wss:// host[:port]."
  }
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

variable "agent_package_url" {
  description = "Tarball of the nodeplane host package (agent + supervisor) the host installs at first boot; null is the default."
  type        = string
  default     = "https://downloads.nodeplane.example/agent/nodeplane-host-linux-amd64.tar.gz"
  nullable    = false

  validation {
    condition     = can(regex("^https://[A-Za-z0-9./_~%+-]+$", var.agent_package_url))
    error_message = "agent_package_url must be an https URL without quotes, spaces or shell characters."
  }
}

variable "agent_package_sha256" {
  description = "sha256 of agent_package_url (64 lowercase hex digits); required: the first boot refuses a package that does not match, so a swapped download cannot run as the agent."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[0-9a-f]{64}$", var.agent_package_sha256))
    error_message = "agent_package_sha256 must be the 64 lowercase hex digits of the package's sha256."
  }
}
