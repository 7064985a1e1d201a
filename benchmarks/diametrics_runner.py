"""Run in a Python environment with diametrics (not t2pump's): times its standard metric set.

Usage: python diametrics_runner.py <csv with ID,time,glc>
Prints JSON: seconds for diametrics.metrics.all_standard_metrics over all IDs of the file.
"""

import json
import sys
import time
import warnings

import pandas as pd
from diametrics import metrics

warnings.filterwarnings("ignore")
df = pd.read_csv(sys.argv[1], parse_dates=["time"])
start = time.perf_counter()
result = metrics.all_standard_metrics(df, units="mg")
print(json.dumps({"seconds": time.perf_counter() - start, "rows": len(result)}))
