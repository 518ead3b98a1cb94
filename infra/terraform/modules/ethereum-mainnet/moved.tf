# The resources stood in this module itself before it called ../_node-host-aws: these moves carry an
# existing node's state over to module.host, so the next apply changes nothing instead of replacing
# the instance and its data volume. Data sources need no move (they are read again).

moved {
  from = aws_security_group.p2p
  to   = module.host.aws_security_group.p2p
}

moved {
  from = aws_ebs_volume.data
  to   = module.host.aws_ebs_volume.data
}

moved {
  from = aws_instance.node
  to   = module.host.aws_instance.node
}

moved {
  from = aws_volume_attachment.data
  to   = module.host.aws_volume_attachment.data
}

moved {
  from = aws_eip.node
  to   = module.host.aws_eip.node
}
