"""The lab's guest slots: one-vCPU guests never outnumber the host's CPUs, across processes."""

import threading

import pytest

from tests.lab import vm


@pytest.fixture
def two_cpus(tmp_path, monkeypatch):
    monkeypatch.setattr(vm, "SLOTS", tmp_path / "slots")
    monkeypatch.setattr(vm.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(vm, "BOOT_TIMEOUT", 2)


def test_a_third_guest_waits_for_a_slot_and_gives_up_at_its_bound(two_cpus):
    with vm.slots(), vm.slots(), pytest.raises(TimeoutError, match="1 guest slot"), vm.slots():
        pass


def test_a_freed_slot_goes_to_the_waiter(two_cpus):
    entered = threading.Event()

    def waiter():
        with vm.slots():
            entered.set()

    with vm.slots(), vm.slots():
        thread = threading.Thread(target=waiter)
        thread.start()
        assert not entered.wait(0.5)
    thread.join(timeout=5)
    assert entered.is_set()


def test_two_slots_at_once_for_guests_that_must_run_together(two_cpus):
    with vm.slots(2), pytest.raises(TimeoutError, match="1 guest slot"), vm.slots():
        pass
    with vm.slots(), pytest.raises(TimeoutError, match="2 guest slot"), vm.slots(2):
        pass
