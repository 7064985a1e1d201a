"""Decision support for insulin-pump therapy in type 2 diabetes.

``decision.patient`` reads the patient record (JSON, units in the field names); ``decision.rules``
evaluates the pump indication from versioned rules (data in ``decision/data``). Every output is
decision support for a clinician, not a prescription.

Submodules are imported by name (``from t2pump.decision.patient import load_patient``); this
package imports nothing eagerly so that each part loads on its own.
"""
