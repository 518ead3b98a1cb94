# A Cosmos Hub host (gaiad, run by the nodeplane agent) on AWS: the shared host of ../_node-host-aws
# (EC2 instance, encrypted gp3 data volume, Elastic IP, p2p-only security group, cloud-init that starts
# the agent) with this profile's ports; its disk and instance defaults are in variables.tf.

module "host" {
  source = "../_node-host-aws"

  chain_profile_id = "cosmos-hub"
  chain_name       = "Cosmos Hub"
  # CometBFT p2p; RPC (26657), gRPC (9090) and the REST API (1317) stay on the host
  p2p_ports = [
    { port = 26656, protocol = "tcp", what = "CometBFT p2p" },
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
