"""Photo evidence: attached to a draft, then linked to its submission."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from core.errors import NotFound
from survey.store.db import _audit, _now, connect


@dataclass(frozen=True)
class PhotoInfo:
    """A stored photo without its bytes (read those with :func:`photo_jpeg`)."""

    id: str
    item_code: str
    sha256: str
    width: int
    height: int
    created_at: str


@dataclass(frozen=True)
class NewPhoto:
    """A prepared photo of one item of a submission that arrives with its photos (an import), as
    :func:`survey.photos.prepare` makes it."""

    item_code: str
    sha256: str
    jpeg: bytes
    width: int
    height: int


_PHOTO_COLUMNS = "id, item_code, sha256, width, height, created_at"


def add_photo(db_path: str | Path, round_id: str, village_code: str, surveyor: str,
              item_code: str, sha256: str, jpeg: bytes, width: int, height: int,
              actor: str | None = None) -> str:
    """Attach a photo to the draft (round, village, surveyor) for ``item_code``; return its id.
    The same original (``sha256``) added twice to the same draft item is stored once."""
    import uuid

    with connect(db_path) as db, db.atomic():
        found = list(db.query(
            "SELECT id FROM photos WHERE round_id = ? AND village_code = ? AND surveyor = ? "
            "AND item_code = ? AND sha256 = ? AND submission_id IS NULL",
            [round_id, village_code, surveyor, item_code, sha256]))
        if found:
            return found[0]["id"]
        photo_id = uuid.uuid4().hex
        db["photos"].insert({
            "id": photo_id, "round_id": round_id, "village_code": village_code,
            "surveyor": surveyor, "item_code": item_code, "sha256": sha256, "jpeg": jpeg,
            "width": width, "height": height, "created_at": _now(), "submission_id": None})
        _audit(db, actor or surveyor, "photo.add", "photo", photo_id, village_code,
               after={"item": item_code, "sha256": sha256})
    return photo_id


def draft_photos(db_path: str | Path, round_id: str, village_code: str,
                 surveyor: str) -> list[PhotoInfo]:
    """The photos of a draft, oldest first."""
    with connect(db_path) as db:
        return [PhotoInfo(**r) for r in db.query(
            f"SELECT {_PHOTO_COLUMNS} FROM photos WHERE round_id = ? AND village_code = ? "
            "AND surveyor = ? AND submission_id IS NULL ORDER BY created_at, rowid",
            [round_id, village_code, surveyor])]


def submission_photos(db_path: str | Path, submission_id: str) -> list[PhotoInfo]:
    """The photos of a stored submission, oldest first."""
    with connect(db_path) as db:
        return [PhotoInfo(**r) for r in db.query(
            f"SELECT {_PHOTO_COLUMNS} FROM photos WHERE submission_id = ? ORDER BY created_at, rowid",
            [submission_id])]


def photo_jpeg(db_path: str | Path, photo_id: str) -> bytes:
    """The stored JPEG of a photo; :class:`NotFound` when there is none."""
    with connect(db_path) as db:
        rows = list(db.query("SELECT jpeg FROM photos WHERE id = ?", [photo_id]))
    if not rows:
        raise NotFound("photo_unknown", value=photo_id)
    return rows[0]["jpeg"]


def delete_photo(db_path: str | Path, photo_id: str, actor: str | None = None) -> None:
    """Remove a photo from its draft; :class:`NotFound` when it is unknown or submitted already."""
    with connect(db_path) as db, db.atomic():
        old = next(iter(db.query("SELECT village_code, surveyor, item_code, sha256 FROM photos "
                                 "WHERE id = ? AND submission_id IS NULL", [photo_id])), None)
        if old is None:
            raise NotFound("photo_unknown", value=photo_id)
        db.execute("DELETE FROM photos WHERE id = ?", [photo_id])
        _audit(db, actor or old["surveyor"], "photo.delete", "photo", photo_id, old["village_code"],
               before={"item": old["item_code"], "sha256": old["sha256"]})
