"""t2pump: insulin-pump therapy (CSII) in type 2 diabetes.

The science and therapy core: insulin action, pump and pen devices, therapy limits and the
bolus calculator. It is a library: no web, no database, no printing, no global state.

t2pump is decision support and a simulator. It is not a medical device and does not replace
the judgement of the diabetes team.
"""

__version__ = "0.1.0"

DISCLAIMER = (
    "t2pump is decision-support and simulation software for research and education. "
    "It is not a medical device; every dose must be checked by the diabetes team."
)
