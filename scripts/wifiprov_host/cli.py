"""Command line of the host provisioning client: esp_prov's flags with the same meaning, and more."""

import argparse
import os
import sys
import time
import traceback

from wifiprov_host import credentials, qr
from wifiprov_host.errors import (
    AuthenticationFailed,
    DeviceNotAuthenticated,
    NetworkNotInScan,
    ProvError,
    StatusError,
    UsageError,
    WifiFailed,
    WifiTimeout,
)
from wifiprov_host.flow import Run, RunOptions
from wifiprov_host.improv_flow import ImprovRun
from wifiprov_host.prompt import Prompter
from wifiprov_host.report import Reporter
from wifiprov_host.transport import ConnectionDropped, DeviceNotFound, TransportError

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_USAGE = 2
EXIT_NOT_FOUND = 3
EXIT_DROPPED = 4
EXIT_AUTH = 5
EXIT_PROTOCOL = 6
EXIT_WIFI_AUTH = 7
EXIT_WIFI_NOT_FOUND = 8
EXIT_WIFI_TIMEOUT = 9
EXIT_REFUSED = 10
EXIT_INTERRUPTED = 130

EXIT_CODES_HELP = """\
exit codes:
   0  success (provisioned; or --reset/--reprov/--sec2_gen_cred done)
   1  unexpected internal error
   2  bad command line, or input needed but stdin is not a terminal
   3  device not found / not reachable
   4  connection to the device lost during the session
   5  authentication failed: wrong PoP (security 1) or wrong username/password
      (security 2), or the device could not prove it knows them
   6  protocol error: the device refused a request, answered nonsense, lacks a
      needed capability, or --proto_ver does not match
   7  Wi-Fi failed: authentication error (wrong passphrase)
   8  Wi-Fi failed: network not found (device's reason, or --ssid not in the scan)
   9  Wi-Fi: still connecting when --timeout ran out
  10  the device answered a command with an error status (SetConfig,
      ApplyConfig, prov-ctrl Reset/Reprov, scan)
 130  interrupted
"""

EXAMPLES_HELP = """\
examples:
  %(prog)s --transport ble --service_name PROV_1A2B3C --pop abcd1234 --ssid MyAP --passphrase secret
  %(prog)s --qr '{"ver":"v1","name":"PROV_1A2B3C","pop":"abcd1234","transport":"ble"}' --pick-strongest --passphrase secret --json
  %(prog)s --transport softap --sec_ver 2 --sec2_username wifiprov --sec2_pwd abcd1234 --ssid MyAP --passphrase secret
  %(prog)s --sec2_gen_cred --sec2_username wifiprov --sec2_pwd abcd1234 --write-config wifiprov.json
  %(prog)s --transport improv-serial --port /dev/ttyUSB0 --ssid MyAP --passphrase secret
"""


def build_parser(prog="prov.py"):
    """The argument parser (esp_prov's flags first, then the extensions)."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Provision Wi-Fi credentials into an ESP-style provisioning device (esp_prov compatible).",
        epilog=EXAMPLES_HELP + "\n" + EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    esp = parser.add_argument_group("esp_prov options (same meaning as in esp_prov.py)")
    esp.add_argument("--transport", type=str.lower, choices=("softap", "httpd", "ble", "improv-serial"),
                     help="link to the device: softap/httpd = HTTP to the device's SoftAP server, ble = Bluetooth LE, "
                          "improv-serial = Improv Wi-Fi on the USB serial console (--port; no radio needed; "
                          "the board needs improv_serial) (required unless --qr or --sec2_gen_cred)")
    esp.add_argument("--service_name", metavar="NAME",
                     help="ble: the device's advertised name (e.g. PROV_1A2B3C); softap/httpd: host[:port] of the "
                          "HTTP server (default 192.168.4.1:80; a SoftAP name such as PROV_1A2B3C means that default)")
    esp.add_argument("--proto_ver", default="", metavar="VER",
                     help="fail unless the device's protocol version (proto-ver) equals VER, e.g. v1.1")
    esp.add_argument("--sec_ver", type=int, choices=(0, 1, 2),
                     help="security scheme: 0 none, 1 X25519 + PoP + AES-CTR, 2 SRP6a + AES-GCM; "
                          "default: read from the device's proto-ver (sec_ver, then capabilities)")
    esp.add_argument("--pop", default="", help="proof of possession for security 1 (asked for if needed)")
    esp.add_argument("--sec2_username", default="", metavar="USER", help="SRP6a username for security 2")
    esp.add_argument("--sec2_pwd", default="", metavar="PASSWORD", help="SRP6a password for security 2")
    esp.add_argument("--sec2_gen_cred", action="store_true",
                     help="print a salt and verifier for --sec2_username/--sec2_pwd (C arrays as esp_prov prints "
                          "them, and the device config entry), then exit; no device needed")
    esp.add_argument("--sec2_salt_len", type=int, default=16, metavar="N",
                     help="salt length in bytes for --sec2_gen_cred (default 16)")
    esp.add_argument("--ssid", default="",
                     help="network to join; without it the device scans and you pick one (see --pick-strongest)")
    esp.add_argument("--passphrase",
                     help="network passphrase (asked for if missing, unless the chosen network is open)")
    esp.add_argument("--custom_data", default="", metavar="TEXT",
                     help="send TEXT to the device's custom-data endpoint after the session is up, print the answer")
    esp.add_argument("--reset", action="store_true",
                     help="send prov-ctrl Reset (after a failed Wi-Fi attempt) and exit")
    esp.add_argument("--reprov", action="store_true",
                     help="send prov-ctrl Reprov (start provisioning again) and exit")
    esp.add_argument("-v", "--verbose", action="store_true", help="trace every request and response in hex")

    more = parser.add_argument_group("extensions")
    more.add_argument("--qr", metavar="PAYLOAD",
                      help="the device's QR payload JSON (or its esp-jumpstart URL); supplies transport, "
                           "service name, PoP or SRP6a username/password. Explicit flags win.")
    more.add_argument("--pick-strongest", action="store_true",
                      help="scan and take the strongest network (with --ssid: the strongest access point of it)")
    more.add_argument("--scan", action="store_true",
                      help="scan even though --ssid is given and fail (exit 8) if that network is not seen")
    more.add_argument("--retry-passphrase", action="append", default=[], metavar="PASSPHRASE",
                      help="if Wi-Fi fails, send this passphrase next in the same session (repeatable); at a "
                           "terminal you are asked instead after a wrong-passphrase failure")
    more.add_argument("--json", action="store_true",
                      help="print one JSON object per step on stdout (last one: {\"step\": \"result\", ...})")
    more.add_argument("--timeout", type=float, default=120.0, metavar="S",
                      help="give up if the device is still connecting after S seconds (default 120, 0 = never)")
    more.add_argument("--poll-interval", type=float, default=5.0, metavar="S",
                      help="seconds between Wi-Fi status polls (default 5, as esp_prov)")
    more.add_argument("--failure-polls", type=int, default=3, metavar="N",
                      help="poll a failed state N more times before giving up (default 3, as esp_prov)")
    more.add_argument("--ble-scan-timeout", type=float, default=10.0, metavar="S",
                      help="how long to look for the BLE device (default 10)")
    more.add_argument("--ble-sim", metavar="HOST:PORT",
                      help="ble: use the simulated radio of a virtual board (scripts/vboard.py --transport ble) "
                           "instead of a Bluetooth adapter")
    more.add_argument("--port", metavar="PORT",
                      help="improv-serial: the board's serial port, any pyserial URL (/dev/ttyUSB0, a pty, socket://)")
    more.add_argument("--baud", type=int, default=115200, help="improv-serial: baud rate (default 115200)")
    more.add_argument("--encoding", default="utf-8", choices=("utf-8", "latin-1"),
                      help="bytes of PoP, SSID, passphrase and custom data (default utf-8 like the phone apps; "
                           "latin-1 is what esp_prov sends). SRP6a credentials are always UTF-8.")
    more.add_argument("--write-config", metavar="PATH",
                      help="with --sec2_gen_cred: also store salt and verifier in this JSON device config file")
    return parser


def _apply_qr(args, parser):
    if not args.qr:
        return
    try:
        values = qr.parse(args.qr)
    except qr.QrError as exc:
        parser.error("--qr: %s" % exc)
    if args.transport is None:
        args.transport = values["transport"]
    if args.service_name is None:
        args.service_name = values["service_name"]
    if args.sec_ver is None and "sec_ver" in values:
        args.sec_ver = values["sec_ver"]
    for key in ("pop", "sec2_username", "sec2_pwd"):
        if not getattr(args, key) and key in values:
            setattr(args, key, values[key])


def parse_args(argv, prog="prov.py"):
    """Parse and check ``argv``; exits with code 2 on a bad command line."""
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    _apply_qr(args, parser)
    if args.sec2_gen_cred:
        if args.sec_ver not in (None, 2):
            parser.error("--sec2_gen_cred is for security 2")
        if not args.sec2_username or not args.sec2_pwd:
            parser.error("--sec2_gen_cred needs --sec2_username and --sec2_pwd")
        if not credentials.MIN_SALT_LEN <= args.sec2_salt_len <= credentials.MAX_SALT_LEN:
            parser.error("--sec2_salt_len must be %d..%d" % (credentials.MIN_SALT_LEN, credentials.MAX_SALT_LEN))
        return args
    if args.write_config:
        parser.error("--write-config only goes with --sec2_gen_cred")
    if args.transport is None:
        parser.error("--transport is required (or give --qr)")
    if args.transport == "ble" and not args.service_name:
        parser.error("--service_name is required for the ble transport")
    if args.ble_sim and args.transport != "ble":
        parser.error("--ble-sim goes with --transport ble")
    if (args.transport == "improv-serial") != bool(args.port):
        parser.error("--transport improv-serial and --port go together")
    if args.transport == "improv-serial" and (args.reset or args.reprov or args.custom_data or args.proto_ver):
        parser.error("Improv has no --reset, --reprov, --custom_data or --proto_ver")
    if args.reset and args.reprov:
        parser.error("--reset and --reprov exclude each other")
    if args.timeout < 0 or args.poll_interval < 0 or args.failure_polls < 0:
        parser.error("--timeout, --poll-interval and --failure-polls must not be negative")
    return args


def run_options(args):
    """The :class:`RunOptions` for parsed ``args``."""
    return RunOptions(
        sec_ver=args.sec_ver, pop=args.pop, sec2_username=args.sec2_username, sec2_pwd=args.sec2_pwd,
        proto_ver=args.proto_ver, ssid=args.ssid, passphrase=args.passphrase,
        retry_passphrases=list(args.retry_passphrase), custom_data=args.custom_data, reset=args.reset,
        reprov=args.reprov, scan=args.scan, pick_strongest=args.pick_strongest, encoding=args.encoding,
        poll_interval=args.poll_interval, failure_polls=args.failure_polls,
        timeout=args.timeout or None,
    )


def open_transport(args):
    """The real transport for ``args`` (HTTP, BLE, or the Improv serial link)."""
    if args.transport == "improv-serial":
        import serial

        from wifiprov_host.improv_serial import ImprovSerialLink
        try:
            return ImprovSerialLink(serial.serial_for_url(args.port, baudrate=args.baud, timeout=0.05))
        except (serial.SerialException, ValueError) as exc:
            raise DeviceNotFound("cannot open %s: %s" % (args.port, exc)) from exc
    if args.transport == "ble" and args.ble_sim:
        from devsim.ble_central import open_sim_ble
        return open_sim_ble(args.service_name, args.ble_sim, scan_timeout=args.ble_scan_timeout)
    if args.transport == "ble":
        from wifiprov_host.transport_ble import open_ble
        return open_ble(args.service_name, scan_timeout=args.ble_scan_timeout)
    from wifiprov_host.transport_http import HttpTransport, address_for
    transport = HttpTransport(address_for(args.service_name))
    transport.connect()
    return transport


def exit_code_for(error):
    """The documented exit code for an exception raised by a run."""
    if isinstance(error, UsageError):
        return EXIT_USAGE
    if isinstance(error, DeviceNotFound):
        return EXIT_NOT_FOUND
    if isinstance(error, ConnectionDropped):
        return EXIT_DROPPED
    if isinstance(error, (AuthenticationFailed, DeviceNotAuthenticated)):
        return EXIT_AUTH
    if isinstance(error, WifiFailed):
        return EXIT_WIFI_NOT_FOUND if error.reason == "NetworkNotFound" else EXIT_WIFI_AUTH
    if isinstance(error, NetworkNotInScan):
        return EXIT_WIFI_NOT_FOUND
    if isinstance(error, WifiTimeout):
        return EXIT_WIFI_TIMEOUT
    if isinstance(error, StatusError):
        return EXIT_REFUSED
    if isinstance(error, (ProvError, TransportError)):
        return EXIT_PROTOCOL
    return EXIT_INTERNAL


def _gen_cred(args, reporter, random_bytes):
    creds = credentials.generate(args.sec2_username, args.sec2_pwd, args.sec2_salt_len, random_bytes)
    for warning in creds.warnings:
        reporter.warn(warning)
    text = ["==== Salt-verifier for security scheme 2 (SRP6a) ====", credentials.c_arrays(creds.salt, creds.verifier),
            "device config entry:", '  "sec2_salt": "%s",' % creds.salt.hex(),
            '  "sec2_verifier": "%s"' % creds.verifier.hex()]
    reporter.step("sec2_gen_cred", "\n".join(text), salt_hex=creds.salt.hex(), verifier_hex=creds.verifier.hex(),
                  username=creds.username, warnings=creds.warnings)
    if args.write_config:
        try:
            credentials.write_config(args.write_config, creds)
        except (OSError, ValueError) as exc:
            raise UsageError("cannot update %s: %s" % (args.write_config, exc)) from exc
        reporter.step("write_config", "Wrote salt and verifier to %s" % args.write_config, path=args.write_config)


def main(argv=None, transport_factory=open_transport, random_bytes=os.urandom, sleep=time.sleep,
         clock=time.monotonic, stdin=None, stdout=None, stderr=None, read_secret=None, prog="prov.py"):
    """Run the CLI; returns the exit code. The keyword arguments let tests inject every side effect."""
    stdin = sys.stdin if stdin is None else stdin
    stdout = sys.stdout if stdout is None else stdout
    stderr = sys.stderr if stderr is None else stderr
    args = parse_args(sys.argv[1:] if argv is None else argv, prog)
    reporter = Reporter(stdout, stderr, json_mode=args.json, verbose=args.verbose)
    interactive = bool(getattr(stdin, "isatty", lambda: False)())
    prompter = Prompter(interactive, stderr, read_line=stdin.readline)
    if read_secret is not None:
        prompter.read_secret = read_secret
    code, error = EXIT_OK, None
    transport = None
    try:
        if args.sec2_gen_cred:
            _gen_cred(args, reporter, random_bytes)
        else:
            transport = transport_factory(args)
            address = getattr(transport, "address", None) or args.port
            reporter.step("connect", "Talking to %s over %s" % (address or args.service_name or "the device",
                                                                 args.transport),
                          transport=args.transport, service_name=args.service_name, address=address)
            if args.transport == "improv-serial":
                ImprovRun(run_options(args), transport, reporter, prompter).execute()
            else:
                Run(run_options(args), transport, reporter, prompter, random_bytes, sleep, clock).execute()
    except KeyboardInterrupt as exc:
        code, error = EXIT_INTERRUPTED, exc
    except Exception as exc:  # every failure ends as a documented exit code and one message
        code, error = exit_code_for(exc), exc
        if code == EXIT_INTERNAL and args.verbose:
            traceback.print_exc(file=stderr)
    finally:
        if transport is not None:
            transport.close()
    message = None if error is None else (str(error) or type(error).__name__)
    if args.json:
        fields = {"ok": code == EXIT_OK, "exit_code": code}
        if error is not None:
            fields.update(error=message, error_type=type(error).__name__)
        reporter.step("result", "", **fields)
    elif error is not None:
        stderr.write("error: %s\n" % message)
    return code
