"""The list of JSON API blueprints (registered under /api/v1 by the factory)."""
from lims.modules.audit.api import blp as audit
from lims.modules.campaigns.api import blp as campaigns
from lims.modules.complaints.api import blp as complaints
from lims.modules.equipment.api import blp as equipment
from lims.modules.issuance.api import blp as issuance
from lims.modules.jobs.api import blp as jobs
from lims.modules.measurements.api import blp as measurements
from lims.modules.organisations.api import blp as organisations
from lims.modules.procedures.api import blp as procedures
from lims.modules.recalls.api import blp as recalls
from lims.modules.tasks.api import blp as tasks
from lims.modules.users.api import blp as users

BLUEPRINTS = [organisations, users, equipment, jobs, procedures, measurements, issuance, audit, campaigns, recalls,
              tasks, complaints]
