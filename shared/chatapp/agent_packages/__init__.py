"""Agent packages that ship with the platform. Each subdirectory is published as a package zip
(see `chatapp.services.agent_packages.publish_builtin_packages`) and loaded like any other."""
