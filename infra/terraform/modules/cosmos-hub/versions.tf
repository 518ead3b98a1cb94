# The AWS provider requirement is declared by ../_node-host-aws, which holds every resource.
terraform {
  required_version = ">= 1.6.0"
}
