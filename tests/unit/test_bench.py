from bench.run import import_lines, ratio

IMPORTTIME = """import time: self [us] | cumulative | imported package
import time:      5000 |       6000 | pyroute2
import time:       100 |        100 |   bondhook.mac
import time:       300 |        400 | bondhook
import time:       900 |        900 |   importlib.metadata
"""


def test_import_lines_rank_by_cumulative_and_count_bondhooks_own_self_time():
    heaviest, share = import_lines(IMPORTTIME)
    assert heaviest[0].endswith("pyroute2") and len(heaviest) == 4
    assert share.startswith("bondhook's own modules take 0.4 ms of the 6.3 ms the hook spends importing (6%)")


def test_ratio_of_guest_figures():
    assert ratio("150", "100") == "1.50x"
    assert ratio("150", "") == "?"
