"""JSON API of the register: instrument types, instruments, reference standards, benches."""
from typing import Any

from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint, abort
from sqlalchemy import select

from lims.core.auth import check_org, login_required, require_roles, sees_all_organisations
from lims.core.db import generic_update, get_or_404
from lims.core.schemas import PageArgsSchema, paginate
from lims.modules.equipment import operations as ops
from lims.modules.equipment import schemas as s
from lims.modules.equipment.models import Bench, Instrument, InstrumentType, ReferenceStandard
from lims.modules.equipment.queries import active_benches, instruments_for, listing_options

LAB = ("lab_manager", "technician")
CUSTOMERS = ("market_manager", "equipment_officer")

blp = Blueprint("equipment", __name__, url_prefix="/api/v1", description="The register of instruments and standards")


@blp.route("/instrument-types")
class InstrumentTypes(MethodView):
    @login_required
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, s.InstrumentTypePageSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List instrument types and the regulations they are verified under"""

        return paginate(select(InstrumentType).order_by(InstrumentType.code), args)

    @require_roles()
    @blp.arguments(s.InstrumentTypeCreateSchema)
    @blp.response(201, s.InstrumentTypeSchema)
    def post(self, data: dict[str, Any]) -> InstrumentType:
        """Create an instrument type (admin)"""
        return ops.create_type(data)


@blp.route("/instrument-types/<int:type_id>")
class InstrumentTypeItem(MethodView):
    @login_required
    @blp.response(200, s.InstrumentTypeSchema)
    def get(self, type_id: int) -> InstrumentType:
        """Get an instrument type"""
        return get_or_404(InstrumentType, type_id)

    @require_roles()
    @blp.arguments(s.InstrumentTypeUpdateSchema)
    @blp.response(200, s.InstrumentTypeSchema)
    def patch(self, data: dict[str, Any], type_id: int) -> InstrumentType:
        """Update an instrument type (admin)"""
        itype = get_or_404(InstrumentType, type_id)
        generic_update(itype, data)
        return itype


@blp.route("/instruments")
class Instruments(MethodView):
    @login_required
    @blp.arguments(s.InstrumentQuerySchema, location="query")
    @blp.response(200, s.InstrumentPageSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List instruments (scoped to your organisation unless you are lab staff)"""
        if args.get("owner_id") and not sees_all_organisations(current_user):
            check_org(current_user, args["owner_id"])
        return paginate(instruments_for(current_user, args).options(*listing_options()), args)

    @require_roles(*CUSTOMERS)
    @blp.arguments(s.InstrumentCreateSchema)
    @blp.response(201, s.InstrumentSchema)
    def post(self, data: dict[str, Any]) -> Instrument:
        """Register an instrument"""
        owner = ops.owner_for_new_instrument(current_user, data.pop("owner_id"))
        return ops.create_instrument(data, owner)


@blp.route("/instruments/<int:instrument_id>")
class InstrumentItem(MethodView):
    @login_required
    @blp.response(200, s.InstrumentSchema)
    def get(self, instrument_id: int) -> Instrument:
        """Get an instrument with its derived status"""
        inst = get_or_404(Instrument, instrument_id)
        check_org(current_user, inst.owner_id)
        return inst

    @require_roles("lab_manager", *CUSTOMERS)
    @blp.arguments(s.InstrumentUpdateSchema)
    @blp.response(200, s.InstrumentSchema)
    def patch(self, data: dict[str, Any], instrument_id: int) -> Instrument:
        """Update an instrument; send the `version` you read (a stale one gets 409)"""
        inst = get_or_404(Instrument, instrument_id)
        if current_user.role != "lab_manager":
            check_org(current_user, inst.owner_id, "write")
        ops.update_instrument(inst, data, current_user)
        return inst

    @require_roles(*CUSTOMERS)
    @blp.response(204)
    def delete(self, instrument_id: int) -> None:
        """Remove an instrument from the register (its history is kept)"""
        inst = get_or_404(Instrument, instrument_id)
        check_org(current_user, inst.owner_id, "write")
        ops.delete_instrument(inst)


@blp.route("/instruments/import", methods=["POST"])
@require_roles(*CUSTOMERS)
@blp.arguments(s.ImportFileSchema, location="files")
@blp.response(201, s.ImportResultSchema)
def import_instruments(files: dict[str, Any]) -> dict[str, Any]:
    """Import an instrument register from CSV: every row is validated, all or nothing is stored.

    On any problem nothing is stored and the 422 body lists them as
    `errors.rows = [{"row": 12, "column": "e", "problem": "…"}, …]` (row 1 is the header).
    """
    raw = files["file"].read(ops.MAX_IMPORT_BYTES + 1)
    if len(raw) > ops.MAX_IMPORT_BYTES:
        abort(413, message="the file is larger than 10 MiB")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        abort(422, errors={"file": [f"not UTF-8 text (byte {exc.start})"]})
    created, errors = ops.import_instruments(text, current_user.organisation, current_user.role == "admin")
    if errors:
        abort(422, message=f"nothing was imported: {len(errors)} problem(s)", errors={"rows": errors})
    return {"created": created}



@blp.route("/standards")
class Standards(MethodView):
    @require_roles(*LAB)
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, s.ReferenceStandardPageSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List the lab's reference standards"""

        q = select(ReferenceStandard).where(ReferenceStandard.is_deleted.is_(False)).order_by(ReferenceStandard.code)
        return paginate(q, args)

    @require_roles("lab_manager")
    @blp.arguments(s.ReferenceStandardCreateSchema)
    @blp.response(201, s.ReferenceStandardSchema)
    def post(self, data: dict[str, Any]) -> ReferenceStandard:
        """Add a reference standard with its calibration certificate"""
        return ops.create_standard(data)


@blp.route("/standards/<int:standard_id>")
class StandardItem(MethodView):
    @require_roles(*LAB)
    @blp.response(200, s.ReferenceStandardSchema)
    def get(self, standard_id: int) -> ReferenceStandard:
        """Get a reference standard"""
        return get_or_404(ReferenceStandard, standard_id)

    @require_roles("lab_manager")
    @blp.arguments(s.ReferenceStandardUpdateSchema)
    @blp.response(200, s.ReferenceStandardSchema)
    def patch(self, data: dict[str, Any], standard_id: int) -> ReferenceStandard:
        """Update a standard (e.g. after its recalibration)"""
        std = get_or_404(ReferenceStandard, standard_id)
        ops.update_standard(std, data)
        return std


@blp.route("/benches")
class Benches(MethodView):
    @require_roles(*LAB)
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, s.BenchPageSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List benches with their ports and standards"""
        return paginate(active_benches(), args)

    @require_roles("lab_manager")
    @blp.arguments(s.BenchCreateSchema)
    @blp.response(201, s.BenchSchema)
    def post(self, data: dict[str, Any]) -> Bench:
        """Create a bench"""
        return ops.create_bench(data)


@blp.route("/benches/<int:bench_id>")
class BenchItem(MethodView):
    @require_roles(*LAB)
    @blp.response(200, s.BenchSchema)
    def get(self, bench_id: int) -> Bench:
        """Get a bench"""
        return get_or_404(Bench, bench_id)

    @require_roles("lab_manager")
    @blp.arguments(s.BenchUpdateSchema)
    @blp.response(200, s.BenchSchema)
    def patch(self, data: dict[str, Any], bench_id: int) -> Bench:
        """Update a bench"""
        bench = get_or_404(Bench, bench_id)
        ops.update_bench(bench, data)
        return bench
