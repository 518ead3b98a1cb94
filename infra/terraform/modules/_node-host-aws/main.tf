# A nodeplane host on AWS, the shape every AWS profile module shares: one EC2 instance (the chain node's
# processes, run by the nodeplane agent), an encrypted gp3 data volume for the chain, an Elastic IP so
# peers keep finding the node across stop/start, and a security group that opens the profile's p2p ports
# and nothing else. The agent reaches the control plane outbound over the hub's leaf-node port; no inbound
# management port is needed. Not a profile module itself: the profile modules (../<chainProfileId>/) call
# it with their own ports, disk and instance defaults (the leading _ keeps it out of the profile ids).

locals {
  name = "nodeplane-${var.node_id}"
  tags = {
    "nodeplane:node-id"       = var.node_id
    "nodeplane:chain-profile" = var.chain_profile_id
  }
}

data "aws_ami" "ubuntu" {
  count       = var.ami_id == null ? 1 : 0
  most_recent = true
  owners      = ["099720109477"] # Canonical

  filter {
    name   = "name"
    values = ["ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*"]
  }
}

data "aws_vpc" "default" {
  count   = var.subnet_id == null ? 1 : 0
  default = true
}

data "aws_subnets" "default" {
  count = var.subnet_id == null ? 1 : 0

  filter {
    name   = "vpc-id"
    values = [data.aws_vpc.default[0].id]
  }

  filter {
    name   = "default-for-az"
    values = ["true"]
  }
}

data "aws_subnet" "selected" {
  id = var.subnet_id != null ? var.subnet_id : sort(data.aws_subnets.default[0].ids)[0]
}

resource "aws_security_group" "p2p" {
  name_prefix = "${local.name}-"
  description = "nodeplane ${var.node_id}: ${var.chain_name} p2p only"
  vpc_id      = data.aws_subnet.selected.vpc_id
  tags        = merge(local.tags, { Name = local.name })

  dynamic "ingress" {
    for_each = var.p2p_ports
    content {
      description      = ingress.value.what
      from_port        = ingress.value.port
      to_port          = ingress.value.port
      protocol         = ingress.value.protocol
      cidr_blocks      = ["0.0.0.0/0"]
      ipv6_cidr_blocks = ["::/0"]
    }
  }

  # peers, package mirrors, the hub's leaf-node port: the node needs the whole internet outbound
  egress {
    description      = "all outbound"
    from_port        = 0
    to_port          = 0
    protocol         = "-1"
    cidr_blocks      = ["0.0.0.0/0"]
    ipv6_cidr_blocks = ["::/0"]
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_ebs_volume" "data" {
  availability_zone = data.aws_subnet.selected.availability_zone
  size              = var.data_volume_size_gb
  type              = "gp3"
  iops              = var.data_volume_iops
  throughput        = var.data_volume_throughput
  encrypted         = true
  tags              = merge(local.tags, { Name = "${local.name}-data" })
}

resource "aws_instance" "node" {
  ami                    = var.ami_id != null ? var.ami_id : data.aws_ami.ubuntu[0].id
  instance_type          = var.instance_type
  subnet_id              = data.aws_subnet.selected.id
  vpc_security_group_ids = [aws_security_group.p2p.id]
  key_name               = var.ssh_key_name

  user_data = templatefile("${path.module}/templates/cloud-init.yaml.tftpl", {
    node_id               = var.node_id
    hub_leaf_url          = var.hub_leaf_url
    agent_bootstrap_token = var.agent_bootstrap_token
    agent_bootstrap_creds = var.agent_bootstrap_creds
    leaf_agent_creds      = var.leaf_agent_creds
    leaf_system_creds     = var.leaf_system_creds
    agent_package_url     = var.agent_package_url
    agent_package_sha256  = var.agent_package_sha256
    data_volume_serial    = replace(aws_ebs_volume.data.id, "-", "")
    data_mount            = "/var/lib/nodeplane"
  })

  metadata_options {
    http_tokens   = "required" # IMDSv2 only
    http_endpoint = "enabled"
  }

  root_block_device {
    volume_type = "gp3"
    volume_size = 40
    encrypted   = true
  }

  tags        = merge(local.tags, { Name = local.name })
  volume_tags = merge(local.tags, { Name = "${local.name}-root" })

  lifecycle {
    # the bootstrap token is used once at first boot; a new token must not replace a running node
    ignore_changes = [user_data, ami]
  }
}

resource "aws_volume_attachment" "data" {
  device_name = "/dev/sdf"
  volume_id   = aws_ebs_volume.data.id
  instance_id = aws_instance.node.id
}

resource "aws_eip" "node" {
  domain   = "vpc"
  instance = aws_instance.node.id
  tags     = merge(local.tags, { Name = local.name })
}
