# The outputs the provider's root module forwards (infra/terraform/README.md), from the shared host.

output "host_id" {
  description = "The nodeplane host id: the instance, prefixed by the cloud."
  value       = module.host.host_id
}

output "address" {
  description = "The host's public address (an Elastic IP, stable across stop/start)."
  value       = module.host.address
}

output "instance_id" {
  description = "The EC2 instance id."
  value       = module.host.instance_id
}
