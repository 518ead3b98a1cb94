# An Ethereum mainnet host (execution + consensus client, run by the nodeplane agent) on AWS: the shared
# host of ../_node-host-aws (EC2 instance, encrypted gp3 data volume, Elastic IP, p2p-only security group,
# cloud-init that starts the agent) with this profile's ports; its disk and instance defaults are in variables.tf.

module "host" {
  source = "../_node-host-aws"

  chain_profile_id = "ethereum-mainnet"
  chain_name       = "Ethereum"
  # geth (execution) on 30303 tcp+udp; lighthouse (consensus) on 9000 tcp+udp and QUIC on 9001 udp
  p2p_ports = [
    { port = 30303, protocol = "tcp", what = "execution p2p" },
    { port = 30303, protocol = "udp", what = "execution discovery" },
    { port = 9000, protocol = "tcp", what = "consensus p2p" },
    { port = 9000, protocol = "udp", what = "consensus discovery" },
    { port = 9001, protocol = "udp", what = "consensus QUIC" },
  ]

  node_id                = var.node_id
  instance_type          = var.instance_type
  hub_leaf_url           = var.hub_leaf_url
  agent_bootstrap_token  = var.agent_bootstrap_token
  agent_bootstrap_creds  = var.agent_bootstrap_creds
  leaf_agent_creds       = var.leaf_agent_creds
  leaf_system_creds      = var.leaf_system_creds
  ssh_key_name           = var.ssh_key_name
  subnet_id              = var.subnet_id
  ami_id                 = var.ami_id
  data_volume_size_gb    = var.data_volume_size_gb
  data_volume_iops       = var.data_volume_iops
  data_volume_throughput = var.data_volume_throughput
  agent_package_url      = var.agent_package_url
  agent_package_sha256   = var.agent_package_sha256
}
