"""Finding and creating departments and owners by name; shared by every slice."""

from __future__ import annotations

import re
import unicodedata

from sqlmodel import Session, col, func, or_, select

from app.db.models import Department, Owner
from app.lib.errors import require

__all__ = [
    "department_by_key",
    "ensure_department",
    "ensure_owner",
    "owner_by_name",
    "slugify",
    "unique_slug",
]


def slugify(text: str) -> str:
    """A URL-safe slug of a name.

    >>> slugify("Roads & Sidewalks")
    'roads-sidewalks'
    >>> slugify("Économie / Finance")
    'economie-finance'
    """
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "department"


def unique_slug(session: Session, name: str, keep: int | None = None) -> str:
    """A slug for a department name that no other department has (``keep``: its own id)."""
    base = slugify(name)
    taken = set(
        session.exec(
            select(Department.slug).where(
                col(Department.slug).startswith(base), Department.id != (keep or 0)
            )
        ).all()
    )
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def department_by_key(session: Session, key: str) -> Department:
    """A department by slug or by exact name (case-insensitive).

    Raises:
        NotFound: no department has that slug or name.
    """
    found = session.exec(
        select(Department).where(
            or_(col(Department.slug) == key, func.lower(Department.name) == key.lower())
        )
    ).first()
    return require(found, f"There is no department '{key}'.")


def ensure_department(session: Session, name: str) -> Department:
    """The department with this name, created when new (with a unique slug)."""
    found = session.exec(select(Department).where(Department.name == name)).first()
    if found is not None:
        return found
    department = Department(name=name, slug=unique_slug(session, name))
    session.add(department)
    session.flush()
    return department


def owner_by_name(session: Session, name: str) -> Owner:
    """An owner by exact name.

    Raises:
        NotFound: no owner has that name.
    """
    found = session.exec(select(Owner).where(Owner.name == name)).first()
    return require(found, f"There is no owner '{name}'.")


def ensure_owner(session: Session, name: str, department_id: int | None = None) -> Owner:
    """The owner with this name, created when new in the given department."""
    found = session.exec(select(Owner).where(Owner.name == name)).first()
    if found is not None:
        if found.department_id is None and department_id is not None:
            found.department_id = department_id
            session.add(found)
        return found
    owner = Owner(name=name, department_id=department_id)
    session.add(owner)
    session.flush()
    return owner
