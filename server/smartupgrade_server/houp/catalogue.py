"""The HOUP version catalogue: which software and patch a model at a given version should run.

The format is documented in docs/houp.md; `default_catalogue.yaml` next to this module is the
catalogue a server uses when it is given none.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml


def family_models(family: str) -> list[str]:
    """The globs of a family's models: its name, and the longer product names of the family
    (`S5732-H24UM2CC`), not those of another family that starts alike (`S5732-HI`)."""
    return [family, f"{family}[!A-Za-z]*"]


class CatalogueError(ValueError):
    """The catalogue file is malformed; the message names the file and the offending key."""


class UnsupportedModelError(LookupError):
    """The model is excluded from smart upgrade or unknown to the catalogue."""


@dataclass(frozen=True)
class Package:
    name: str
    size: int


@dataclass(frozen=True)
class Offer:
    """What HOUP recommends; `patch`/`patch_package` are None when no patch is recommended."""

    software: str
    patch: str | None
    upgrade_description: str | None
    """None: the HOUP sends none (the seed's AP example shows '-'), unlike an empty one."""
    description_en: str | None
    software_package: Package
    patch_package: Package | None


@dataclass(frozen=True)
class Upgrade:
    software: tuple[str, ...]
    patch: tuple[str, ...]
    offer: Offer

    def applies(self, software: str, patch: str | None) -> bool:
        return any(fnmatch.fnmatchcase(software, p) for p in self.software) and any(
            fnmatch.fnmatchcase(patch or "", p) for p in self.patch
        )


@dataclass(frozen=True)
class Family:
    family: str
    models: tuple[str, ...]
    upgrades: tuple[Upgrade, ...]

    def matches(self, model: str) -> bool:
        return any(fnmatch.fnmatchcase(model, p) for p in self.models)


@dataclass(frozen=True)
class Catalogue:
    unsupported_models: tuple[str, ...]
    families: tuple[Family, ...]

    def family_of(self, model: str) -> Family:
        """The first family whose patterns match `model`; raises UnsupportedModelError."""
        if any(fnmatch.fnmatchcase(model, p) for p in self.unsupported_models):
            raise UnsupportedModelError(f"{model} does not support smart upgrade")
        for family in self.families:
            if family.matches(model):
                return family
        raise UnsupportedModelError(f"{model} is not in the HOUP catalogue")

    def lookup(self, model: str, software: str, patch: str | None) -> Offer | None:
        """The recommended upgrade, or None when the running version is optimal."""
        for upgrade in self.family_of(model).upgrades:
            if upgrade.applies(software, patch):
                offer = upgrade.offer
                if offer.software == software and offer.patch == patch:
                    return None
                return offer
        return None

    def files(self) -> dict[str, int]:
        """Every package the catalogue can offer: name -> size."""
        result: dict[str, int] = {}
        for family in self.families:
            for upgrade in family.upgrades:
                for package in (upgrade.offer.software_package, upgrade.offer.patch_package):
                    if package is not None:
                        result[package.name] = package.size
        return result

    @classmethod
    def load(cls, path: Path) -> Catalogue:
        try:
            text = path.read_text("utf-8")
        except OSError as exc:
            raise CatalogueError(f"{path}: cannot read the catalogue: {exc}") from exc
        return cls.parse(text, str(path))

    @classmethod
    def default(cls) -> Catalogue:
        text = resources.files(__package__).joinpath("default_catalogue.yaml").read_text("utf-8")
        return cls.parse(text, "default_catalogue.yaml")

    @classmethod
    def parse(cls, text: str, source: str = "<catalogue>") -> Catalogue:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise CatalogueError(f"{source}: not valid YAML: {exc}") from exc
        return _Parser(source).catalogue(data)


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, message: str) -> CatalogueError:
        return CatalogueError(f"{self.source}: {where}: {message}")

    def mapping(
        self, value: Any, where: str, required: set[str], optional: set[str]
    ) -> dict[str, Any]:
        if not isinstance(value, Mapping):
            raise self.fail(where, "expected a mapping")
        keys = set(value)
        if missing := required - keys:
            raise self.fail(where, f"missing key(s) {', '.join(sorted(missing))}")
        if unknown := keys - required - optional:
            raise self.fail(where, f"unknown key(s) {', '.join(sorted(map(str, unknown)))}")
        return dict(value)

    def text(self, value: Any, where: str, *, empty: bool = False) -> str:
        if not isinstance(value, str) or (not empty and not value):
            raise self.fail(
                where, "expected a non-empty string" if not empty else "expected a string"
            )
        return value

    def optional_text(self, data: Mapping[str, Any], key: str, where: str) -> str | None:
        if data.get(key) is None:
            return None
        return self.text(data[key], f"{where}.{key}", empty=True)

    def patterns(self, value: Any, where: str) -> tuple[str, ...]:
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not items:
            raise self.fail(where, "expected a glob pattern or a non-empty list of them")
        # "" is a meaningful pattern: it matches a device that runs no patch.
        return tuple(self.text(item, f"{where}[{i}]", empty=True) for i, item in enumerate(items))

    def package(self, value: Any, where: str, family: str) -> Package:
        data = self.mapping(value, where, {"name", "size"}, set())
        size = data["size"]
        if not isinstance(size, int) or isinstance(size, bool) or size <= 0:
            raise self.fail(f"{where}.size", "expected a positive integer (bytes)")
        name = self.text(data["name"], f"{where}.name").replace("{family}", family)
        if "/" in name or name.startswith(".") or name.endswith(".asc"):
            raise self.fail(f"{where}.name", f"{name!r} is not a plain package file name")
        return Package(name, size)

    def offer(self, value: Any, where: str, family: str) -> Offer:
        data = self.mapping(
            value,
            where,
            {"software", "software_package"},
            {"patch", "patch_package", "upgrade_description", "description_en"},
        )
        patch = data.get("patch")
        if (patch is None) != (data.get("patch_package") is None):
            raise self.fail(where, "patch and patch_package go together (both or neither)")
        return Offer(
            software=self.text(data["software"], f"{where}.software"),
            patch=None if patch is None else self.text(patch, f"{where}.patch"),
            upgrade_description=self.optional_text(data, "upgrade_description", where),
            description_en=self.optional_text(data, "description_en", where),
            software_package=self.package(
                data["software_package"], f"{where}.software_package", family
            ),
            patch_package=None
            if data.get("patch_package") is None
            else self.package(data["patch_package"], f"{where}.patch_package", family),
        )

    def upgrade(self, value: Any, where: str, family: str) -> Upgrade:
        data = self.mapping(value, where, {"from", "to"}, set())
        current = self.mapping(data["from"], f"{where}.from", {"software"}, {"patch"})
        return Upgrade(
            software=self.patterns(current["software"], f"{where}.from.software"),
            patch=self.patterns(current.get("patch", "*"), f"{where}.from.patch"),
            offer=self.offer(data["to"], f"{where}.to", family),
        )

    def family(self, value: Any, where: str) -> Family:
        data = self.mapping(value, where, {"family", "upgrades"}, {"models"})
        name = self.text(data["family"], f"{where}.family")
        upgrades = data["upgrades"]
        if not isinstance(upgrades, list):
            raise self.fail(f"{where}.upgrades", "expected a list")
        return Family(
            family=name,
            models=self.patterns(data.get("models", family_models(name)), f"{where}.models"),
            upgrades=tuple(
                self.upgrade(item, f"{where}.upgrades[{i}]", name)
                for i, item in enumerate(upgrades)
            ),
        )

    def catalogue(self, value: Any) -> Catalogue:
        data = self.mapping(value, "top level", {"families"}, {"unsupported_models"})
        families = data["families"]
        if not isinstance(families, list):
            raise self.fail("families", "expected a list")
        unsupported = data.get("unsupported_models") or []
        catalogue = Catalogue(
            unsupported_models=()
            if not unsupported
            else self.patterns(unsupported, "unsupported_models"),
            families=tuple(self.family(item, f"families[{i}]") for i, item in enumerate(families)),
        )
        sizes: dict[str, int] = {}
        for family in catalogue.families:
            for upgrade in family.upgrades:
                for package in (upgrade.offer.software_package, upgrade.offer.patch_package):
                    if (
                        package is not None
                        and sizes.setdefault(package.name, package.size) != package.size
                    ):
                        raise self.fail(
                            f"families ({family.family})",
                            f"package {package.name} is given two different sizes",
                        )
        return catalogue
