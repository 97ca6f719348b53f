"""Institutional roles: which actors set the agenda or sit in a second chamber.

Some models look at more than positions and weights: in the EU the Commission proposes (it sets
the agenda) and, under codecision, the Parliament must agree as a second chamber. A scenario says
which template it follows in ``meta.institution``; the template gives actor ids their roles, so a
model reads roles, never EU names:

``meta: {institution: eu}``
    The EU legislative template: ``com`` (Commission) is the agenda setter, ``ep`` (European
    Parliament) the chamber. The DEU reader sets it.
``meta: {institution: {template: eu, roles: {un: agenda-setter}}}``
    A template with roles added or changed; ``template`` may be left out (no template).
``meta: {institution: none}`` or no ``institution``
    No roles: models that use them fall back (see each model's page).

Roles of actors that are not in the scenario are ignored, so one template serves any subset of
actors.
"""

from __future__ import annotations

from collections.abc import Mapping

from accord.errors import ScenarioError

ROLES = ("agenda-setter", "chamber")
TEMPLATES: dict[str, dict[str, str]] = {
    "eu": {"com": "agenda-setter", "ep": "chamber"},
    "none": {},
}


def template_roles(spec) -> dict[str, str]:
    """Actor id -> role from a ``meta.institution`` value (a template name or a mapping with
    ``template`` and/or ``roles``); ``{}`` for None. A :class:`ScenarioError` names what is wrong."""
    if spec is None:
        return {}
    if isinstance(spec, str):
        spec = {"template": spec}
    if not isinstance(spec, Mapping):
        raise ScenarioError(f"meta.institution must be a template name ({', '.join(TEMPLATES)}) or a mapping "
                            f"with template and roles, got {spec!r}")
    unknown = set(spec) - {"template", "roles"}
    if unknown:
        raise ScenarioError(f"meta.institution: unknown key(s) {', '.join(sorted(map(str, unknown)))}; "
                            "expected template and roles")
    name = spec.get("template", "none")
    if not isinstance(name, str) or name.strip().lower() not in TEMPLATES:
        raise ScenarioError(f"meta.institution.template must be one of {', '.join(TEMPLATES)}, got {name!r}")
    roles = dict(TEMPLATES[name.strip().lower()])
    extra = spec.get("roles") or {}
    if not isinstance(extra, Mapping):
        raise ScenarioError(f"meta.institution.roles must map actor ids to roles ({', '.join(ROLES)}), got {extra!r}")
    for actor, role in extra.items():
        if role not in ROLES:
            raise ScenarioError(f"meta.institution.roles.{actor} must be one of {', '.join(ROLES)}, got {role!r}")
        roles[str(actor)] = role
    return roles


def scenario_roles(scenario) -> dict[str, str]:
    """The roles of the actors of ``scenario``, from its ``meta.institution``."""
    roles = template_roles((scenario.meta or {}).get("institution"))
    ids = set(scenario.actor_ids)
    return {a: r for a, r in roles.items() if a in ids}
