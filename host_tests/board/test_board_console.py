"""The board's serial console as pytest-embedded sees it: boot log, REPL, soft and hard reset."""


def test_boot_log_repl_and_resets(board):
    name = board.start_provisioning()
    assert name.startswith("PROV_")
    board.interrupt()
    assert board.repl("print(6 * 7)").strip() == "42"
    out = board.repl("import machine, binascii; print(binascii.hexlify(machine.unique_id()[3:]).decode().upper())")
    assert "PROV_" + out.strip().split("\n")[-1] == name  # the name comes from the MAC
    assert "NameError: name 'undefined_name' is" in board.repl("undefined_name")  # "isn't" on MicroPython

    board.send(b"\x04")  # Ctrl-D at the prompt: soft reboot, boot.py and main.py run again
    board.expect(r"soft reboot")
    assert board.announced() == name

    board.interrupt()
    assert board.repl("import machine; print(machine.reset_cause() == machine.SOFT_RESET)").strip() == "True"
    board.reset()
    assert board.announced() == name
