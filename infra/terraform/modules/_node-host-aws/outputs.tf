output "host_id" {
  description = "The nodeplane host id: the instance, prefixed by the cloud."
  value       = "aws-${aws_instance.node.id}"
}

output "address" {
  description = "The host's public address (an Elastic IP, stable across stop/start)."
  value       = aws_eip.node.public_ip
}

output "instance_id" {
  description = "The EC2 instance id."
  value       = aws_instance.node.id
}
