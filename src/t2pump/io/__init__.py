"""Device exports -> the trace format (docs/trace_format.md): one :class:`Trace` per patient.

Formats (``FORMATS``; ``fmt="auto"`` detects them from the file's start, see each module):
``clarity`` (Dexcom Clarity CSV), ``libreview`` (Abbott LibreView CSV, English/French, mg/dL or
mmol/L), ``carelink`` (Medtronic CareLink CSV, legacy and current layouts, ``,`` or ``;``),
``tconnect`` (Tandem t:connect Therapy Timeline CSV), ``nightscout`` (entries/treatments/profile JSON),
``tidepool`` (Tidepool data JSON) and ``iglu`` (``id,time,gl`` CSV, several patients).

What a trace holds (each one patient, ``patients == (id,)``):

* ``t_min``: minutes since the midnight of ``origin_date`` (the day of the patient's first
  record) on the **local wall clock**, with seconds as fractions; every record's own time, no
  resampling; the union of the times of all record kinds, sorted, each once.
* ``cgm`` [mg/dL] (mmol/L converted by :mod:`t2pump.units`) and ``cgm_flag`` (0 in range, 1 LOW,
  2 HIGH: the export said ``Low``/``High``, and the value is the device's limit), NaN where no
  reading; ``insulin_bolus`` [U] (extended and dual-wave parts spread evenly over their duration),
  ``carbs`` [g] (0 where none) and ``insulin_basal`` [U over the period since the previous time;
  the programmed rate, or a Nightscout profile's, overridden by temporary rates; NaN where unknown]
  when the export has them (docs/trace_format.md, "Imported pump insulin"). A signal is present
  only if the file has at least one such record.

Time zones and DST. Device CSV exports (Clarity, LibreView, CareLink, t:connect) and iglu CSVs
write the device's local wall clock without a zone: it is kept as written, as iglu does. So on
the autumn change a repeated hour gives two readings per clock time (of two at the *same* time
the later row wins), and on the spring change the skipped hour is a one-hour gap; days are
calendar days of that clock (a 23- or 25-hour day counts as one day). A device whose clock was
set wrong stays wrong; the ``tz`` option does not apply to these formats. Nightscout and Tidepool
store UTC instants: they are moved to the local wall clock with the ``tz`` zone if given (its
DST rules, so the same repeated-hour and gap effects appear, and of two readings at one wall
time the later *instant* wins), else (Nightscout) the time zone of the profile read with them,
else the record's own UTC offset; a record with none of these is an error.

Duplicates: of several glucose readings at one time the later row wins; identical dose or
carbohydrate records count once, different ones at one time are summed; see
:mod:`t2pump.io._records`.

Errors: a malformed file raises :class:`~t2pump.errors.InputRangeError` whose field is
``file:line:column``, with the value found and what was expected; an unknown format lists every
format tried and why each did not match. Nothing is returned for a file with an error: no partial
trace.
"""

from t2pump.io._records import SIGNAL_UNITS
from t2pump.io.registry import AUTO, FORMATS, ImportFormat, detect_format, read_bytes, read_file, read_files
from t2pump.io.summary import METRIC_KEYS, metric_summary

__all__ = [
    "AUTO",
    "FORMATS",
    "METRIC_KEYS",
    "SIGNAL_UNITS",
    "ImportFormat",
    "detect_format",
    "metric_summary",
    "read_bytes",
    "read_file",
    "read_files",
]
