from tests.lab.demo import ping_verdict


def test_a_missing_ping_is_never_read_as_a_collision():
    assert ping_verdict({"a.ping_rc": "127"}, "a") == "not measured: no ping in the guest"


def test_verdicts():
    assert ping_verdict({"a.ll_state": "dadfailed", "a.ping_rc": "2"}, "a") == "FAILS (DAD failed)"
    assert ping_verdict({"a.ping_rc": "1"}, "a") == "FAILS"
    assert ping_verdict({"a.ping_rc": "0", "a.mac": "m", "a.peer_mac": "m"}, "a") == "only itself answers"
    assert ping_verdict({"a.ping_rc": "0", "a.mac": "m", "a.peer_mac": "p"}, "a") == "ok"
