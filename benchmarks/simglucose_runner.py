"""Run in a Python environment that has simglucose (not t2pump's): times simglucose itself.

Usage: python simglucose_runner.py <patient> <days>
Prints JSON: CPU and wall seconds per patient-day for simglucose's standard path
(T1DSimEnv + BBController, Dexcom CGM, Insulet pump; meals 45/70/80 g at 07:00/12:00/19:00).
"""

import json
import logging
import sys
import time
import warnings
from datetime import datetime, timedelta

warnings.filterwarnings("ignore")
logging.disable(logging.CRITICAL)

from simglucose.actuator.pump import InsulinPump  # noqa: E402
from simglucose.controller.basal_bolus_ctrller import BBController  # noqa: E402
from simglucose.patient.t1dpatient import T1DPatient  # noqa: E402
from simglucose.sensor.cgm import CGMSensor  # noqa: E402
from simglucose.simulation.env import T1DSimEnv  # noqa: E402
from simglucose.simulation.scenario import CustomScenario  # noqa: E402
from simglucose.simulation.sim_engine import SimObj  # noqa: E402

name, days = sys.argv[1], int(sys.argv[2])
start = datetime(2018, 1, 1)
meals = [(h + 24 * d, g) for d in range(days) for h, g in ((7, 45), (12, 70), (19, 80))]
env = T1DSimEnv(
    T1DPatient.withName(name),
    CGMSensor.withName("Dexcom", seed=1),
    InsulinPump.withName("Insulet"),
    CustomScenario(start_time=start, scenario=meals),
)
sim = SimObj(env, BBController(), timedelta(days=days), animate=False, path="/tmp/simglucose_bench_out")
wall, cpu = time.perf_counter(), time.process_time()
sim.simulate()
print(
    json.dumps(
        {
            "cpu_s_per_day": (time.process_time() - cpu) / days,
            "wall_s_per_day": (time.perf_counter() - wall) / days,
        }
    )
)
