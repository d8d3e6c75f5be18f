"""Agent packages that ship with the platform. Each subdirectory is published as a package zip
(see `chatapp.agents.package_catalogue.publish_builtin_packages`) and loaded like any other."""
