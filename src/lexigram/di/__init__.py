"""Dependency injection: the container, modules and lifecycle providers.

* ``Container`` builds objects by resolving their ``__init__`` annotations.
* ``@module`` / ``Module`` / ``DynamicModule`` declare what an application is made of.
* ``Provider`` is the base of lifecycle providers (register, boot, shutdown, health).

``lexigram.Application`` compiles the modules and drives the providers.
"""

from lexigram.di.container import Container
from lexigram.di.errors import (
    CircularDependencyError,
    LifecycleError,
    ModuleDuplicateError,
    ProviderFailure,
    RegistrationError,
    ResolutionError,
    ShutdownError,
)
from lexigram.di.graph import ModuleGraph, compile_modules
from lexigram.di.module import DynamicModule, Module, ModuleMetadata, ModuleRef, module
from lexigram.di.protocols import ContainerRegistrarProtocol, ContainerResolverProtocol
from lexigram.di.provider import Provider, ProviderPriority

__all__ = [
    "CircularDependencyError",
    "Container",
    "ContainerRegistrarProtocol",
    "ContainerResolverProtocol",
    "DynamicModule",
    "LifecycleError",
    "Module",
    "ModuleDuplicateError",
    "ModuleGraph",
    "ModuleMetadata",
    "ModuleRef",
    "Provider",
    "ProviderFailure",
    "ProviderPriority",
    "RegistrationError",
    "ResolutionError",
    "ShutdownError",
    "compile_modules",
    "module",
]
